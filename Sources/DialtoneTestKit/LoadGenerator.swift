// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneDaemon
import DialtoneConfig
import DialtoneLineSim
import Foundation
import Synchronization

/// The demo's live call load: the simulated network offers calls at a steady
/// rate; every call is checked (answered, audio bit-exact both ways, cleared).
public final class LoadGenerator: Sendable {
    public struct Summary: Sendable, CustomStringConvertible {
        public var offered = 0
        /// Of those, calls that walked the IVR to an agent.
        public var ivr = 0
        public var completed = 0
        public var failed = 0
        /// Calls the network side took (CALL PROCEEDING or later) and calls answered, as the far end saw them.
        public var proceeding = 0
        public var connected = 0
        public var failures: [String] = []
        public var description: String {
            "\(offered) calls offered (\(ivr) through the IVR), \(completed) completed, \(failed) failed"
                + (failures.isEmpty ? "" : "\nfirst failures:\n  " + failures.prefix(5).joined(separator: "\n  "))
        }
    }

    private let simulator: LineSimulator
    private let ports: [String]
    private let number: @Sendable (Int) -> String?
    /// The station must see the number dialled (false: a fixed number may go to a queue that calls another).
    let checkDNIS: Bool
    private let limit: Int?
    private let state = Mutex(Summary())
    private let rate: Double
    private let hold: Duration
    private let maxCalls: Int
    private let stopping = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    /// Every fourth call walks the IVR when the configuration has one.
    private let ivr: IVRWalker?

    private func progressed(_ stage: LineSimulator.CallProgress) {
        state.withLock { if stage == .proceeding { $0.proceeding += 1 } else { $0.connected += 1 } }
    }

    private func count(_ problem: String?) {
        state.withLock {
            if let problem {
                $0.failed += 1
                $0.failures.append(problem)
            } else {
                $0.completed += 1
            }
        }
    }

    /// Offers calls on the simulator's `ports` (round robin) to the numbers
    /// `number(n)` gives, `callsPerSecond` at most `maxCalls` at once, until
    /// ``stop()`` or `limit` calls.
    public init(simulator: LineSimulator, ports: [String], number: @escaping @Sendable (Int) -> String?,
                callsPerSecond: Double, holdSeconds: Double, maxCalls: Int, limit: Int? = nil, ivr: IVRWalker? = nil,
                checkDNIS: Bool = true) {
        self.ivr = ivr
        self.checkDNIS = checkDNIS
        self.simulator = simulator
        self.ports = ports
        self.number = number
        self.limit = limit
        rate = max(callsPerSecond, 0.1)
        hold = .seconds(clamping: holdSeconds)
        self.maxCalls = maxCalls
    }

    public var summary: Summary { state.withLock { $0 } }

    /// Stops offering new calls; ``run()`` returns when those in progress end.
    public func stop() { stopping.store(true, ordering: .releasing) }

    /// Offers calls until ``stop()``, then waits for those in progress.
    public func run() async {
        guard !ports.isEmpty else { return }
        let sim = simulator
        let interval = Duration.seconds(clamping: 1 / rate)
        await withTaskGroup(of: Void.self) { group in
            var n = 0
            while !stopping.load(ordering: .acquiring) && n < (limit ?? .max) {
                if self.inFlight.load(ordering: .relaxed) < maxCalls, let ivr, n % 4 == 3 {
                    let ani = "555\(8_000_000 + n)", port = ports[n % ports.count], k = n / 4
                    self.inFlight.add(1, ordering: .relaxed)
                    state.withLock { $0.offered += 1; $0.ivr += 1 }
                    n += 1
                    group.addTask {
                        self.count(await ivr.walk(k, simulator: sim, port: port, ani: ani))
                        self.inFlight.subtract(1, ordering: .relaxed)
                    }
                } else if self.inFlight.load(ordering: .relaxed) < maxCalls, let dnis = number(n) {
                    let ani = "555\(8_000_000 + n)"
                    self.inFlight.add(1, ordering: .relaxed)
                    state.withLock { $0.offered += 1 }
                    var plan = LineSimulator.CallPlan(port: ports[n % ports.count], ani: ani, dnis: dnis,
                                                      patternFrames: 25, hold: hold)
                    plan.progress = { [self] stage in self.progressed(stage) }
                    plan.speaksWhenAnswered = !checkDNIS  // a queue answers first; the caller talks when the agent does
                    n += 1
                    group.addTask {
                        let r = await sim.place(plan)
                        let agent = await sim.finishedAgentRecord(ani: ani)
                        self.count(LoopbackScenarios.problem(r, agent, callerClears: true, checkDNIS: self.checkDNIS))
                        self.inFlight.subtract(1, ordering: .relaxed)
                    }
                }
                try? await Task.sleep(for: interval)
            }
            await group.waitForAll()
        }
    }
}

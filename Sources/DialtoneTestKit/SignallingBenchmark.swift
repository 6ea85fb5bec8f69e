// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneSignalling
import DialtoneSpans
import DialtoneStore
import Foundation
import Logging
import Synchronization

/// `dialtone bench`: calls per second through the whole daemon on virtual
/// spans. The line simulator's callers (libpri NET) place calls closed loop,
/// `inFlight` at a time, on inbound E1s where Dialtone is the user side; the
/// switch routes each to an agents E1 where Dialtone is the network side and
/// a simulated agent (libpri CPE) answers at once, without audio; the caller
/// clears as soon as it sees CONNECT. A call counts once its CDR is committed
/// to the daemon's SQLite file by the store writer. Figures, not pass/fail.
public enum SignallingBenchmark {
    /// B-channels per E1.
    public static let channelsPerSpan = 30
    /// The numbers the callers dial (routed by prefix to the agents spans).
    static let dialled = "5551000"

    public struct Figures: Sendable {
        public var inboundSpans: Int
        public var agentSpans: Int
        public var inFlight: Int
        /// From the start of the measured window until the last call placed
        /// in it was released and its CDR committed, in seconds.
        public var seconds: Double
        /// CDRs committed of calls that started in the window, and of those answered.
        public var cdrs: Int
        public var answered: Int
        /// Calls placed in the window as the far-end callers saw them.
        public var placed: Int
        public var completed: Int
        public var failed: Int
        public var failures: [String]
        /// Process CPU (user + system, every thread) over the window, in seconds.
        public var cpuSeconds: Double
        /// SETUP → CONNECT at the callers, sorted.
        public var latencies: [Duration]
        public var database: String

        public var callsPerSecond: Double { seconds > 0 ? Double(cdrs) / seconds : 0 }
        public var cpuPerCallMicros: Double { cdrs > 0 ? cpuSeconds * 1e6 / Double(cdrs) : 0 }
        public var cpuPercent: Double { seconds > 0 ? cpuSeconds / seconds * 100 : 0 }
        public func percentile(_ p: Double) -> Duration? {
            latencies.isEmpty ? nil : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
    }

    /// Spans for `inFlight` calls: enough inbound E1s for the callers, and
    /// one agents E1 more, so a call whose agent leg is still clearing after
    /// its caller is gone never leaves the next call without a circuit.
    public static func layout(inFlight: Int) -> (inbound: Int, agents: Int) {
        let inbound = max(1, (inFlight + channelsPerSpan - 1) / channelsPerSpan)
        return (inbound, inbound + 1)
    }

    /// The daemon's configuration: E1 EuroISDN virtual spans looped to the
    /// line simulator, one prefix route over the agents spans in hunt order,
    /// no IVR, no recording; its files in `directory`.
    public static func config(inFlight: Int, directory: String) -> DialtoneConfig {
        let (inbound, agents) = layout(inFlight: inFlight)
        var spans: [SpanConfig] = []
        for i in 0..<inbound { spans.append(SpanConfig(name: "pstn\(i)", type: .e1, role: .cpe, switchType: .euroisdnE1)) }
        for i in 0..<agents { spans.append(SpanConfig(name: "agents\(i)", type: .e1, role: .net, switchType: .euroisdnE1)) }
        return DialtoneConfig(daemon: DaemonSettings(controlSocket: "\(directory)/control.sock",
                                                     database: "\(directory)/dialtone.sqlite", logLevel: "warning"),
                              spans: spans,
                              routes: [RouteConfig(pattern: .prefix("555"), spans: (0..<agents).map { "agents\($0)" })])
    }

    /// Runs the daemon of ``config(inFlight:directory:)`` under load. With
    /// `calls`, exactly that many calls are placed and measured (no warm-up);
    /// otherwise calls run `warmup` seconds unmeasured, then `seconds` measured.
    public static func run(inFlight: Int, seconds: Double, calls limit: Int? = nil, warmup: Double = 1,
                           directory: String, logger: Logger) async throws -> Figures {
        let config = config(inFlight: inFlight, directory: directory)
        let daemon = try Daemon(config: config, logger: logger)
        try daemon.start()
        guard await daemon.waitForLinks(), let sim = daemon.simulator else {
            await daemon.stop(drain: .seconds(1))
            throw DaemonError("signalling benchmark: D-channels did not come up")
        }
        await sim.setAgentBehaviour(.init(answerAfter: .zero, audio: false))
        let inbound = layout(inFlight: inFlight).inbound
        let load = Load(limit: limit)
        let clock = ContinuousClock()

        let callers = Task {
            await withTaskGroup(of: Void.self) { group in
                for slot in 0..<inFlight {
                    let port = "pstn\(slot % inbound)-far"
                    group.addTask { await load.caller(sim, port: port) }
                }
            }
        }
        var start = clock.now, startDate = Date(), cpu0 = MediaBenchmark.processCPU()
        if limit == nil {
            try? await Task.sleep(for: .seconds(clamping: warmup))
            (start, startDate, cpu0) = (clock.now, Date(), MediaBenchmark.processCPU())
            load.measure()
            try? await Task.sleep(for: .seconds(clamping: seconds))
            load.stop()
        } else {
            load.measure()
        }
        await callers.value
        // Every leg released and its CDR handed to the store writer, then committed.
        while await daemon.switchCore.callCount > 0 && clock.now - start < .seconds(clamping: seconds + 30) {
            try? await Task.sleep(for: .milliseconds(1))
        }
        _ = await daemon.storeWriter.waitDurable(timeout: .seconds(30))
        let elapsed = clock.now - start
        let cpu = MediaBenchmark.processCPU() - cpu0
        let cdrs = (try? daemon.store.count(since: startDate)) ?? 0
        let answered = (try? daemon.store.count(since: startDate, disposition: .answered)) ?? 0
        await daemon.stop(drain: .seconds(1))
        let tally = load.tally
        return Figures(inboundSpans: inbound, agentSpans: layout(inFlight: inFlight).agents, inFlight: inFlight,
                       seconds: elapsed.inSeconds, cdrs: cdrs, answered: answered, placed: tally.placed,
                       completed: tally.completed, failed: tally.failures.count, failures: Array(tally.failures.prefix(5)),
                       cpuSeconds: cpu, latencies: tally.latencies.sorted(), database: config.daemon.database)
    }

    /// The callers' shared state: the phase, what they saw.
    final class Load: Sendable {
        struct Tally {
            var placed = 0
            var completed = 0
            var failures: [String] = []
            var latencies: [Duration] = []
        }
        private let measuring = Atomic<Bool>(false)
        private let stopping = Atomic<Bool>(false)
        private let serial = Atomic<Int>(0)
        private let tickets: Atomic<Int>
        private let limited: Bool
        private let state = Mutex(Tally())

        init(limit: Int?) {
            limited = limit != nil
            tickets = Atomic(limit ?? 0)
        }

        func measure() { measuring.store(true, ordering: .releasing) }
        func stop() { stopping.store(true, ordering: .releasing) }
        var tally: Tally { state.withLock { $0 } }

        /// One caller: its next call as soon as the last one is released on its side.
        func caller(_ sim: LineSimulator, port: String) async {
            if limited { while !measuring.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(1)) } }
            while !stopping.load(ordering: .acquiring) {
                if limited && tickets.subtract(1, ordering: .relaxed).newValue < 0 { return }
                let n = serial.add(1, ordering: .relaxed).oldValue
                let measured = measuring.load(ordering: .acquiring)
                let plan = LineSimulator.CallPlan(port: port, ani: String(format: "555%07d", n % 10_000_000),
                                                  dnis: SignallingBenchmark.dialled, patternFrames: 0, hold: .zero,
                                                  callerClears: true, timeout: .seconds(10))
                let r = await sim.place(plan)
                guard measured else { continue }
                let problem: String? = r.error.map { "\(r.ani): \($0)" }
                    ?? (!r.connected ? "\(r.ani): not answered (cause \(r.cause.map { "\($0)" } ?? "-"))" : nil)
                    ?? (!r.released ? "\(r.ani): not released" : nil)
                state.withLock { t in
                    t.placed += 1
                    if let problem { t.failures.append(problem) } else { t.completed += 1 }
                    if let l = r.setupToConnect { t.latencies.append(l) }
                }
            }
        }
    }

    /// The file system a path is on ("ext4", "tmpfs", ...; from /proc/mounts):
    /// on tmpfs an fsync costs nothing.
    public static func fileSystem(of path: String) -> String {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown" }
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3 else { continue }
            let point = String(f[1]).replacingOccurrences(of: "\\040", with: " ")
            let inside = point == "/" || real == point || real.hasPrefix(point + "/")
            if inside, point.count >= (best?.point.count ?? -1) { best = (point, String(f[2])) }
        }
        return best?.type ?? "unknown"
    }
}

extension Duration {
    /// In seconds, as a Double.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

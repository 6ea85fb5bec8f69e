// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSwitch
import Foundation
import Synchronization

/// The Q.24 receiver battery (``Q24Battery``) played into a running daemon
/// as a conformance tester would: the line simulator calls a number routed
/// to the call-control API, the scenario answers and turns on digit
/// collection, the caller sends one condition's 16 keys (SpanDSP's tone
/// generator, dial tone, white noise), then a clean marker; the call's
/// in-band `digits` events are compared with what the standard requires
/// followed by the marker. Conditions run at once, each on its own call and
/// B-channel. Used by the end-to-end tests (virtual spans) and by the DAHDI
/// hardware battery (the real kernel driver).
public final class Q24Scenario: Sendable {
    let daemon: Daemon
    let sim: LineSimulator
    let port: String
    let number: String
    final class Heard: Sendable { let digits = Mutex<[String: String]>([:]) }  // call → in-band digits so far
    private let heard = Heard()
    private let listener = Mutex<Task<Void, Never>?>(nil)

    /// `port`: the simulator's far end of an inbound span; `number`: a DNIS
    /// routed to `application: control`.
    public init(daemon: Daemon, simulator: LineSimulator, port: String, number: String) {
        self.daemon = daemon
        sim = simulator
        self.port = port
        self.number = number
        let stream = daemon.switchCore.events.subscribe()
        let task = Task { [heard] in
            for await e in stream where e.type == .digits && e.source == "inband" {
                guard let call = e.call, let d = e.digits else { continue }
                heard.digits.withLock { $0[call, default: ""] += d }
            }
        }
        listener.withLock { $0 = task }
    }

    deinit { listener.withLock { $0?.cancel() } }

    /// A number the config routes to the call-control API (a prefix route gets `01` appended).
    public static func controlNumber(_ config: DialtoneConfig) -> String? {
        for r in config.routes {
            guard case .application("control", _)? = r.action else { continue }
            switch r.pattern {
            case .exact(let n): return n
            case .prefix(let p): return p + "01"
            }
        }
        return nil
    }

    /// The in-band digits reported on call `id` so far, in order.
    public func digits(_ id: String) -> String { heard.digits.withLock { $0[id] ?? "" } }

    public struct Outcome: Sendable {
        public var condition: Q24Battery.Condition
        /// The digits reported up to the marker, or why the call failed.
        public var result: Result<String, Failure>
        public var passed: Bool { (try? result.get()) == condition.expected + Q24Battery.marker }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every condition at once, each on its own call from ANI `aniBase` + index.
    public func run(_ conditions: [Q24Battery.Condition], aniBase: Int = 41_555_510_00) async -> [Outcome] {
        await withTaskGroup(of: Outcome.self) { group in
            for (i, condition) in conditions.enumerated() {
                group.addTask { Outcome(condition: condition, result: await self.run(condition, ani: String(aniBase + i))) }
            }
            var out: [Outcome] = []
            for await o in group { out.append(o) }
            return out.sorted { $0.condition.name < $1.condition.name }
        }
    }

    /// Polls `condition` every 20 ms up to `timeout`; whether it came true.
    static func wait(_ timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let clock = ContinuousClock(), deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// One condition on its own call from `ani`: the digits reported up to
    /// and including the marker (what was reported by the timeout when the
    /// marker never came), or why the call could not be made.
    public func run(_ condition: Q24Battery.Condition, ani: String) async -> Result<String, Failure> {
        async let dialled = sim.dialLiveCall(port: port, ani: ani, dnis: number, seconds: 60, timeout: .seconds(20))
        var id: String?
        _ = await Self.wait(.seconds(20)) {
            id = await self.daemon.switchCore.activeCalls().first { $0.ani == ani }?.id
            return id != nil
        }
        guard let id else { _ = try? await dialled; return .failure(Failure(description: "no call from \(ani) reached the switch")) }
        let answered = await Self.wait(.seconds(20)) { (try? await self.daemon.switchCore.answer(id)) != nil }
        let call: LiveCall
        do { call = try await dialled } catch { return .failure(Failure(description: "\(error)")) }
        let collecting = await Self.wait(.seconds(20)) { (try? await self.daemon.switchCore.collectDigits(id)) != nil }
        guard answered, collecting else {
            await call.hangUp()
            return .failure(Failure(description: "call \(id) not answered or not collecting digits"))
        }
        var signal = condition.signal
        signal.leadMs = 300
        call.sendTestTones(signal)
        call.sendDTMF(Q24Battery.marker, level: -10, onMs: 80, offMs: 80)
        let seconds = signal.sampleCount / 8000 + 20
        _ = await Self.wait(.seconds(seconds)) { self.digits(id).hasSuffix(Q24Battery.marker) }
        let got = digits(id)
        await call.hangUp()
        return .success(got)
    }
}

extension LoopbackScenarios {
    /// The Q.24 battery (AT&T profile, the spans' default) through the first
    /// inbound span; nil when no route goes to the call-control API.
    public func q24Battery() async -> Result? {
        guard let number = Q24Scenario.controlNumber(daemon.config),
              let port = inboundSpans.first.map({ Self.farName($0.name) }) else { return nil }
        await settle()
        let scenario = Q24Scenario(daemon: daemon, simulator: sim, port: port, number: number)
        let conditions = Q24Battery.conditions.filter { $0.profile == .att }
        let outcomes = await scenario.run(conditions)
        let wrong = outcomes.filter { !$0.passed }.map { o in
            switch o.result {
            case .success(let got): "\(o.condition.name): got \"\(got)\", the standard requires \"\(o.condition.expected)\(Q24Battery.marker)\""
            case .failure(let f): "\(o.condition.name): \(f)"
            }
        }
        return Result(name: "Q.24 battery: \(conditions.count) conditions × 16 keys in band", passed: wrong.isEmpty,
                      detail: wrong.isEmpty ? outcomes.map(\.condition.name).joined(separator: ", ") : wrong.joined(separator: "; "))
    }
}

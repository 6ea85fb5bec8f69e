// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneTestKit
import Foundation
import Logging

/// `dialtone bench`'s signalling part: calls per second end to end, SETUP →
/// CONNECT latency and CPU per call, against bare libpri in C (`bench/sigfloor.c`).
extension Bench {
    func signalling(dir: String, say: (String) -> Void) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (inbound, agents) = SignallingBenchmark.layout(inFlight: sigCalls)
        let database = SignallingBenchmark.config(inFlight: sigCalls, directory: dir).daemon.database
        var load = [0.0, 0.0, 0.0]
        _ = getloadavg(&load, 3)
        say("Dialtone signalling benchmark: \(sigCalls) calls in flight, closed loop, on virtual E1 EuroISDN spans looped to the")
        say("line simulator, libpri at both ends: \(inbound) inbound E1 (Dialtone CPE, simulated network NET), \(agents) agents E1 (Dialtone NET,")
        say("simulated agents CPE). Each call: SETUP from the network; CALL PROCEEDING once the call's start is durable; routed; SETUP")
        say("to an agent, who answers at once (CALL PROCEEDING, ALERTING, CONNECT, no audio); CONNECT to the caller, who clears at once;")
        say("DISCONNECT, RELEASE, RELEASE COMPLETE on both legs. A call counts once its CDR is committed by the store writer to")
        say("\(database) (SQLite WAL, synchronous=FULL, \(SignallingBenchmark.fileSystem(of: dir))).")
        let floorSeconds = max(1, sigSeconds / 2)
        say(String(format: "  %d rounds on one daemon, each: %@%.0f s measured after 1 s of warm-up (load average %.2f) ...",
                   sigRounds, sigFloor != nil ? String(format: "the C floor for %.0f s while the daemon idles, then ", floorSeconds) : "",
                   sigSeconds, load[0]))
        var logger = Logger(label: "dialtone.bench")
        logger.logLevel = .warning
        var floors: [Int: FloorFigures] = [:]
        let rounds = try await SignallingBenchmark.run(
            inFlight: sigCalls, seconds: sigSeconds, rounds: sigRounds,
            before: { round in
                guard let sigFloor else { return }
                floors[round] = runFloor(sigFloor, legs: 2, inbound: inbound, agents: agents, seconds: floorSeconds, say: say)
            },
            directory: dir, logger: logger)
        var ratios: [Double] = []
        for (i, f) in rounds.enumerated() {
            say(String(format: "  round %d: %d CDRs committed of calls that started in the window, %.2f s from its start to the last commit = %.0f calls/s",
                       i + 1, f.cdrs, f.seconds, f.callsPerSecond))
            say(String(format: "    (%d answered; the callers placed %d in the window: %d answered and released, %d failed)",
                       f.answered, f.placed, f.completed, f.failed))
            for problem in f.failures { say("    failed: \(problem)") }
            say(String(format: "    SETUP→CONNECT at the caller (SETUP handed to its D-channel → CONNECT in its call logic): p50 %@, p99 %@ (%d calls)",
                       ms(f.percentile(0.5)), ms(f.percentile(0.99)), f.latencies.count))
            say(String(format: "    CPU: %.2f s of process CPU (every thread: daemon, line simulator, media, store) = %.0f µs per call; %.0f %% of one core",
                       f.cpuSeconds, f.cpuPerCallMicros, f.cpuPercent))
            if let two = floors[i] {
                say(String(format: "    C floor just before (%.0f s): %.0f calls/s, SETUP→CONNECT p50 %.2f ms, p99 %.2f ms, CPU %.0f µs per call",
                           floorSeconds, two.callsPerSecond, two.p50Micros / 1000, two.p99Micros / 1000, two.cpuPerCallMicros))
                let ratio = f.callsPerSecond / two.callsPerSecond
                ratios.append(ratio)
                say(String(format: "    ratio Dialtone / floor: %.2f calls per second; CPU per call %.1f× the floor's",
                           ratio, f.cpuPerCallMicros / two.cpuPerCallMicros))
            }
        }
        let median = { (v: [Double]) -> Double in
            let s = v.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        say(String(format: "  Dialtone over %d rounds: median %.0f calls/s (%.0f–%.0f), median %.0f µs CPU per call (%.0f–%.0f)",
                   rounds.count, median(rounds.map(\.callsPerSecond)), rounds.map(\.callsPerSecond).min() ?? 0,
                   rounds.map(\.callsPerSecond).max() ?? 0, median(rounds.map(\.cpuPerCallMicros)),
                   rounds.map(\.cpuPerCallMicros).min() ?? 0, rounds.map(\.cpuPerCallMicros).max() ?? 0))
        guard let sigFloor, !ratios.isEmpty else { return }
        let two = floors.values.map(\.callsPerSecond)
        say("  C floor (bench/sigfloor.c: bare libpri in one thread, the same spans, calls in flight and Q.931 messages, a C relay")
        say(String(format: "    between the legs, no store; a call counts when its four call references are released): median %.0f calls/s (%.0f–%.0f), %.0f µs per call",
                   median(two), two.min() ?? 0, two.max() ?? 0, median(floors.values.map(\.cpuPerCallMicros))))
        if let one = runFloor(sigFloor, legs: 1, inbound: inbound, agents: 0, seconds: max(1, sigSeconds / 4), say: say) {
            say(String(format: "  C floor, one leg (caller NET ↔ CPE answering, as libpri's testprilib): %.0f calls/s, p50 %.2f ms, p99 %.2f ms, CPU %.0f µs per call",
                       one.callsPerSecond, one.p50Micros / 1000, one.p99Micros / 1000, one.cpuPerCallMicros))
        }
        say(String(format: "  ratio Dialtone / floor (calls per second, two legs; each round against the floor run just before it): median %.2f (%@) (goal ≥ 0.5)",
                   median(ratios), ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        say(String(format: "  CPU per call: median %.1f× the floor's", median(rounds.map(\.cpuPerCallMicros)) / median(floors.values.map(\.cpuPerCallMicros))))
    }

    private func ms(_ d: Duration?) -> String {
        guard let d else { return "-" }
        return String(format: "%.2f ms", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }

    struct FloorFigures {
        var calls: Int
        var failed: Int
        var seconds: Double
        var cpuSeconds: Double
        var p50Micros: Double
        var p99Micros: Double
        var callsPerSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
        var cpuPerCallMicros: Double { calls > 0 ? cpuSeconds * 1e6 / Double(calls) : 0 }
    }

    /// Runs `sigfloor LEGS IN_SPANS OUT_SPANS CALLS_IN_FLIGHT SECONDS`; nil (said why) when it fails.
    private func runFloor(_ path: String, legs: Int, inbound: Int, agents: Int, seconds: Double,
                          say: (String) -> Void) -> FloorFigures? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["\(legs)", "\(inbound)", "\(agents)", "\(sigCalls)", String(format: "%.1f", seconds)]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch {
            say("  C floor: \(path) could not start: \(error)")
            return nil
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let v = text.split(separator: " ").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard p.terminationStatus == 0, v.count >= 10, let calls = v[4], let failed = v[5], let wall = v[6], let cpu = v[7],
              let p50 = v[8], let p99 = v[9] else {
            say("  C floor (\(legs) legs): \(path) failed (status \(p.terminationStatus)): \(text)")
            return nil
        }
        if failed > 0 { say("  C floor (\(legs) legs): \(Int(failed)) calls failed") }
        return FloorFigures(calls: Int(calls), failed: Int(failed), seconds: wall, cpuSeconds: cpu, p50Micros: p50, p99Micros: p99)
    }
}

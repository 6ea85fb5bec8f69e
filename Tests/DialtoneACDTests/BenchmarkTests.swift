// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// The benchmark functions run and report sane figures (the goal itself is checked in release by `dialtone bench`).
@Suite struct BenchmarkTests {
    @Test func decisionBenchmarkRuns() {
        let f = ACDBenchmark.decision(agents: 1000, waiting: 10_000, decisions: 2_000)
        #expect(f.waiting == 10_000)
        print(String(format: "debug build: acd decision: %d agents, %d waiting: mean %.1f µs, p99 %.1f µs", f.agents, f.waiting, f.meanMicros, f.p99Micros))
        #expect(f.decisions > 1_000)
        #expect(f.meanMicros > 0 && f.p99Micros >= f.p50Micros)
    }

    @Test func throughputBenchmarkRuns() {
        let f = ACDBenchmark.throughput(calls: 5_000)
        print(String(format: "debug build: acd throughput: %.0f simulated calls/s", f.callsPerSecond))
        #expect(f.calls == 5_000)
        #expect(f.callsPerSecond > 0)
    }
}

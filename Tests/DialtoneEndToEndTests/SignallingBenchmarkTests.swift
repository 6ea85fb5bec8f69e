// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneTestKit
import Foundation
import Logging
import Testing

extension EndToEnd {
/// The signalling benchmark's code path, not its timings: a fixed number of
/// calls through the daemon on two inbound and three agents spans, every one
/// answered, released and its CDR committed.
@Suite(.serialized) struct SignallingBenchmarkTests {
    @Test func everyCallCompletesWithItsCDR() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-sigbench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "e2e.sigbench")
        logger.logLevel = .warning
        let f = try await SignallingBenchmark.run(inFlight: 32, seconds: 0, calls: 96, directory: dir, logger: logger)
        #expect((f.inboundSpans, f.agentSpans) == (2, 3))
        #expect(f.failures.isEmpty, "\(f.failures)")
        #expect(f.placed == 96)
        #expect(f.completed == 96)
        #expect(f.cdrs == 96)
        #expect(f.answered == 96)
        #expect(f.latencies.count == 96)
        #expect(f.cpuSeconds > 0 && f.seconds > 0)
    }
}
}

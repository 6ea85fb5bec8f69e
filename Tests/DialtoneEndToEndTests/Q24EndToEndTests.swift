// SPDX-License-Identifier: GPL-2.0-or-later
// The Q.24 receiver battery end to end, as a conformance tester sees the
// daemon: the line simulator (real libpri, the battery's signals made with
// SpanDSP's tone generator, dial tone and white noise) calls a number routed
// to the call-control API on a looped virtual span — µ-law T1 and A-law E1 —
// the test answers and turns on digit collection, the caller sends one
// condition's 16 keys, then a clean marker; the `digits` events of the call
// are compared with what the standard requires followed by the marker. All
// conditions run at once, each on its own call and B-channel.
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSpans
import DialtoneSwitch
import DialtoneTestKit
import Foundation
import Testing

extension EndToEnd {
@Suite(.serialized) struct Q24EndToEndTests {
    final class Rig: @unchecked Sendable {
        let daemon: Daemon
        let dir: String
        let scenario: Q24Scenario

        /// `dtmf`: the span's `dtmf:` configuration (YAML flow mapping), if any.
        init(_ type: SpanType, dtmf: String? = nil) async throws {
            dir = try EndToEnd.rigDirectory("q24-\(type)")
            let (name, switchtype) = type == .t1 ? ("T1", "national") : ("E1", "euroisdn_e1")
            let config = """
            daemon:
              control_socket: \(dir)/control.sock
              database: \(dir)/cdr.sqlite
              log_level: warning
            spans:
              - {name: pstn, type: \(name), role: cpe, switchtype: \(switchtype)\(dtmf.map { ", dtmf: \($0)" } ?? "")}
            prompts:
              directory: \(promptDirectory)
              language: en
            routes:
              - {prefix: "70", application: control}
            """
            daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "q24.\(type)")
            let number = try #require(Q24Scenario.controlNumber(daemon.config))
            scenario = Q24Scenario(daemon: daemon, simulator: daemon.simulator!, port: "pstn-far", number: number)
            try daemon.start()
            #expect(await daemon.waitForLinks())
        }

        func stop() async {
            await daemon.stop(drain: .seconds(2))
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Every condition of the battery (the default AT&T profile) on a µ-law
    /// T1 and an A-law E1 span, all at once on their own calls.
    @Test(arguments: [SpanType.t1, .e1])
    func battery(span: SpanType) async throws {
        let rig = try await Rig(span)
        await Self.run(Q24Battery.conditions.filter { $0.profile == .att }, on: rig, span: span)
        await rig.stop()
    }

    /// The conditions for a span configured down to −35 dBm0 (`dtmf:
    /// {min_level: -35}`), on such a span.
    @Test(arguments: [SpanType.t1, .e1])
    func batteryMinimumLevel35(span: SpanType) async throws {
        let rig = try await Rig(span, dtmf: "{min_level: -35}")
        await Self.run(Q24Battery.conditions.filter { $0.profile == DTMFProfile(minimumLevel: -35) }, on: rig, span: span)
        await rig.stop()
    }

    /// Runs `conditions` at once, each on its own call, and expects each
    /// one's digits, then the marker.
    static func run(_ conditions: [Q24Battery.Condition], on rig: Rig, span: SpanType,
                    sourceLocation: SourceLocation = #_sourceLocation) async {
        #expect(!conditions.isEmpty, sourceLocation: sourceLocation)
        for outcome in await rig.scenario.run(conditions) {
            let condition = outcome.condition
            switch outcome.result {
            case .success(let got):
                #expect(outcome.passed, """
                    \(condition.name) on \(span) (\(condition.signal)): got "\(got)", the standard requires \
                    "\(condition.expected)" then the marker \(Q24Battery.marker)
                    """, sourceLocation: sourceLocation)
            case .failure(let error):
                Issue.record("\(condition.name) on \(span): \(error)", sourceLocation: sourceLocation)
            }
        }
    }
}
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Overlap digits on the event stream, end to end on looped virtual spans
// (real libpri both ends): the network sends the called number's first
// digits in the SETUP and the rest one INFORMATION each; every one of those
// is a `digits` event with source `information`, timed from the call's
// start (no `at_ms`: the call is not answered yet), before the call routes.
import DialtoneDaemon
import DialtoneLineSim
import DialtoneSwitch
import Foundation
import Synchronization
import Testing

extension EndToEnd {
@Suite(.serialized) struct DigitEventsEndToEndTests {
    @Test func overlapDigitsAreInformationEvents() async throws {
        let dir = try EndToEnd.rigDirectory("digits")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = EndToEnd.loopbackConfig(dir, """
        routes:
          - {match: "5551234", to: agents}
        """).replacingOccurrences(of: "{name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}",
                                  with: "{name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1, overlap: true}")
        let daemon = try EndToEnd.loopbackDaemon(dir, config: config, label: "digits")
        let log = Mutex<[SwitchEvent]>([])
        let stream = daemon.switchCore.events.subscribe()
        let listener = Task { for await e in stream { log.withLock { $0.append(e) } } }
        try daemon.start()
        #expect(await daemon.waitForLinks())
        let sim = try #require(daemon.simulator)
        let result = await sim.place(.init(port: "pstn-far", ani: "4155550140", dnis: "5551234", patternFrames: 0,
                                           hold: .milliseconds(300), overlapDigits: 3))
        #expect(result.connected, "\(result)")
        await waitUntil("call.ended") { log.withLock { $0.contains { $0.type == .callEnded } } }
        await daemon.stop(drain: .seconds(2))
        listener.cancel()

        let events = log.withLock { $0 }
        let created = try #require(events.first { $0.type == .callCreated })
        let digits = events.filter { $0.type == .digits && $0.call == created.call }
        #expect(digits.map { $0.digits ?? "?" }.joined() == "1234", "\(digits)")
        #expect(digits.allSatisfy { $0.source == "information" && $0.leg == 1 && $0.span == "pstn" && $0.channel == created.channel })
        #expect(digits.allSatisfy { $0.atMs == nil && $0.durationMs == nil }, "not answered yet; no tone")
        let starts = digits.compactMap(\.startMs)
        #expect(starts.count == 4 && starts.first.map { $0 >= 0 } == true && zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 },
                "\(starts)")
        // All of them before the destination was placed (the number was complete with the last).
        let placed = try #require(events.firstIndex { $0.type == .legCreated && $0.call == created.call && $0.leg == 2 })
        #expect(digits.allSatisfy { d in events.firstIndex(of: d)! < placed })
    }
}
}

// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneSwitch
import Foundation
import Testing

/// A digit's `digits` event, in virtual time: its time on the call (`at_ms`
/// since the answer, `start_ms` since the call began; an in-band tone's
/// start, not its report), its source, span, channel and tone length.
@Suite struct DigitEventTests {
    /// Overlap digits come before the answer: no `at_ms`, `start_ms` from the SETUP.
    @Test func informationDigitsBeforeTheAnswerAreTimedFromTheStart() {
        var f = CallFixture(dnis: "2", complete: false, channel: 7)
        f.run { c, now in c.proceed(overlap: true, interdigit: 5, now: now) }
        f.advance(1.25)
        let e = f.call.digitEvent(ReceivedDigit(key: "0", source: .information), leg: 1, span: "pstn", now: f.now)
        #expect(e.type == .digits && e.call == "c1" && e.leg == 1)
        #expect(e.digits == "0" && e.source == "information" && e.span == "pstn" && e.channel == 7)
        #expect(e.atMs == nil, "not answered yet")
        #expect(e.startMs == 1250)
        #expect(e.durationMs == nil)
    }

    /// An in-band tone is reported when it ends: its time is its start (arrival − age).
    @Test func anInBandToneIsPlacedAtItsStart() {
        var f = CallFixture(channel: 3)
        f.advance(2)
        f.connected()  // answered 2 s after the SETUP
        f.advance(3.5)
        let tone = ReceivedDigit(key: "5", source: .inband, durationMs: 70, ageMs: 130)
        let e = f.call.digitEvent(tone, leg: 1, span: "pstn", now: f.now)
        #expect(e.source == "inband" && e.digits == "5" && e.channel == 3)
        #expect(e.atMs == 3370, "3.5 s after the answer less the tone's 130 ms age")
        #expect(e.startMs == 5370)
        #expect(e.durationMs == 70)
        // A keypad digit a second later: its arrival, no duration; the destination's leg has its own channel.
        f.advance(1)
        let k = f.call.digitEvent(ReceivedDigit(key: "#", source: .keypad), leg: 2, span: "b", now: f.now)
        #expect(k.source == "keypad" && k.leg == 2 && k.span == "b" && k.channel == 1)
        #expect(k.atMs == 4500 && k.startMs == 6500 && k.durationMs == nil)
    }

    /// A tone that began before the answer (detection on at once) has a negative `at_ms`.
    @Test func aToneBegunBeforeTheAnswerIsNegative() {
        var f = CallFixture()
        f.run { c, now in c.answerLocally(now: now) }
        f.advance(0.04)
        let e = f.call.digitEvent(ReceivedDigit(key: "1", source: .inband, durationMs: 90, ageMs: 100), leg: 1, span: nil, now: f.now)
        #expect(e.atMs == -60 && e.startMs == -60)
    }

    /// On the wire (the control socket, `dialtone events`): `at_ms`, `start_ms`, `duration_ms`.
    @Test func theFieldsAreEncodedWithTheirNames() throws {
        var e = SwitchEvent(.digits, call: "c1", leg: 1)
        e.digits = "5"
        e.source = "inband"
        e.atMs = 3370
        e.startMs = 5370
        e.durationMs = 70
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(e), as: UTF8.self)
        #expect(text.contains(#""at_ms":3370"#) && text.contains(#""duration_ms":70"#) && text.contains(#""start_ms":5370"#), "\(text)")
        #expect(try JSONDecoder().decode(SwitchEvent.self, from: Data(text.utf8)) == e)
        #expect(DigitSource.allCases.map(\.rawValue) == ["inband", "keypad", "information"])
    }
}

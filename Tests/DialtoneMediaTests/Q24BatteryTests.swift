// SPDX-License-Identifier: GPL-2.0-or-later
// The Q.24 receiver battery (DialtoneLineSim's `Q24Battery`) at the unit
// level: each condition's signal (SpanDSP's tone generator, dial tone and
// white noise) in the span's law, through a `MediaEngine` channel with
// detection on, as the far end of a `VirtualLink` sends it; the digits
// reported against what the standard requires. Runs in a few seconds:
// `swift test --skip-build --filter Q24Battery`. The same battery runs end to
// end through the daemon in DialtoneEndToEndTests/Q24EndToEndTests.
import DialtoneLineSim
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

extension Q24Battery.Condition: CustomTestStringConvertible {
    public var testDescription: String { name }
}

@Suite(.serialized) struct Q24BatteryTests {
    /// The digits a channel of the media engine (on a span of `type`)
    /// reports for `audio` (G.711 of the span's law), followed by 200 ms of idle.
    static func engineDigits(_ audio: [UInt8], type: SpanType, profile: DTMFProfile) throws -> String {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)  // the test moves the frames itself
        let link = try VirtualLink(a: "near", b: "far", type: type, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"), dtmfProfiles: [profile])
        let ep = MediaEngine.Endpoint(span: 0, channel: 1)
        engine.send(.detectDigits(ep, true))
        var got = ""
        let padded = audio + [UInt8](repeating: link.a.law.idleByte, count: 10 * frameBytes)
        var i = 0
        while i < padded.count {
            let end = min(i + frameBytes, padded.count)
            _ = padded[i..<end].withUnsafeBytes { link.b.writeFrame(channel: 1, from: $0) }
            link.clockTick()
            engine.tick()
            while let e = engine.nextEvent() { if case .digit(ep, let tone) = e { got.append(tone.character) } }
            i = end
        }
        return got
    }

    /// Where the tones start against the 20 ms frames (and a receiver's
    /// analysis blocks, SpanDSP's of 102 samples among them): every condition
    /// runs at each of these offsets, in samples.
    static let offsets = [0, 17, 34, 51, 68, 85, 101, 133]

    /// Every condition on a µ-law T1 and an A-law E1 channel, at each offset.
    @Test(arguments: Q24Battery.conditions, [SpanType.t1, .e1])
    func condition(_ condition: Q24Battery.Condition, span: SpanType) throws {
        let law = span.defaultLaw
        var wrong: [String] = []
        for offset in Self.offsets {
            var signal = condition.signal
            signal.offsetSamples = offset
            let audio = signal.g711(law: law)
            let got = try Self.engineDigits(audio, type: span, profile: condition.profile)
            if got != condition.expected { wrong.append("offset \(offset): \"\(got)\"") }
        }
        #expect(wrong.isEmpty, """
            \(condition.name) on \(span) (\(condition.signal)): the standard requires "\(condition.expected)"; got \
            \(wrong.joined(separator: ", "))
            """)
    }
}

/// The battery's signals are what they say: exact frequencies, levels, S/N,
/// timing (a receiver's result means something only if its input is right).
@Suite struct Q24BatterySignalTests {
    static func power(_ samples: ArraySlice<Int16>, _ hz: Double) -> Double {
        MediaEngineTests.power(samples.map(Double.init), hz)
    }

    static func rmsDBm0(_ samples: ArraySlice<Int16>) -> Double {
        let ms = samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)
        // SpanDSP's reference: a 0 dBm0 sine peaks 3.14 dB below full scale (rms = peak / √2).
        let zero = 32768 * pow(10, -3.14 / 20) / 2.squareRoot()
        return 10 * log10(ms / (zero * zero))
    }

    /// With whole hertz, the exact-frequency shim changes nothing: the same
    /// samples as SpanDSP's own descriptor (the media engine's tone player).
    @Test func wholeHertzMatchesSpanDSPsDescriptor() {
        let ours = TestTones.dualTone(770, level1: -10, 1336, level2: -10, cadence: (60, 0, 0, 0))
        let generator = ToneGenerator()
        generator.start(ToneSet.Spec(f1: 770, f2: 1336, level: -10, cadence: (0, 0, 0, 0)))
        var theirs = [Int16](repeating: 0, count: ours.count)
        theirs.withUnsafeMutableBufferPointer { _ = generator.generate(into: $0.baseAddress!, count: $0.count) }
        #expect(ours == theirs)
    }

    /// +3.5 %: the energy sits at 1.035 × the key's frequencies, not at
    /// them; exact, not rounded to whole hertz (721.4 Hz beats 721 and 722 Hz).
    @Test func frequencyOffsetIsExact() {
        let tone = DTMFTestSignal(keys: "1", frequencyFactor: 1.035, onMs: 1000, leadMs: 0).linear()[0..<8000]
        #expect(Self.power(tone, 697 * 1.035) > 20 * Self.power(tone, 697))
        #expect(Self.power(tone, 1209 * 1.035) > 20 * Self.power(tone, 1209))
        let at = [721.0, 721.395, 722.0].map { Self.power(tone, $0) }
        #expect(at[1] > at[0] && at[1] > at[2], "\(at)")
    }

    /// Levels per tone, each group on its own (twist), and the timing.
    @Test func levelsAndTiming() {
        let signal = DTMFTestSignal(keys: "5", lowLevel: -10, highLevel: -18, onMs: 40, offMs: 60, leadMs: 100)
        let s = signal.linear()
        #expect(s.count == (100 + 40 + 60 + 100) * 8)
        #expect(s[0..<800].allSatisfy { $0 == 0 } && s[1120...].allSatisfy { $0 == 0 })
        #expect(s[800..<1120].contains { $0 != 0 })
        let low = DTMFTestSignal(keys: "5", highLevel: -99, onMs: 1000, leadMs: 0).linear()[0..<8000]
        #expect(abs(Self.rmsDBm0(low) + 10) < 0.3, "\(Self.rmsDBm0(low))")
        let twist = 10 * log10(Self.power(s[800..<1120], 770) / Self.power(s[800..<1120], 1336))
        #expect(abs(twist - 8) < 0.5, "twist \(twist) dB")
    }

    /// Noise at 15 dB S/N: −10 dBm0 per tone is −7 dBm0 a pair, so −22 dBm0 of noise.
    @Test func noiseLevel() {
        let signal = DTMFTestSignal(keys: "5", noiseSNR: 15, leadMs: 1000)
        #expect(abs(signal.noiseLevel! + 21.99) < 0.05)
        let s = signal.linear()
        #expect(abs(Self.rmsDBm0(s[0..<8000]) - signal.noiseLevel!) < 0.3, "\(Self.rmsDBm0(s[0..<8000]))")
        #expect(s == signal.linear(), "seeded: the same noise each time")
    }

    /// The interruption is a gap of its length in the middle of each tone;
    /// dial tone runs through everything.
    @Test func interruptionAndDialTone() {
        let cut = DTMFTestSignal(keys: "5", onMs: 100, offMs: 60, interruptionMs: 10, leadMs: 0).linear()
        // The longest run of silent samples in the tone: 10 ms from 45 ms on.
        var run = (start: 0, length: 0), current = 0
        for k in 0..<(100 * 8) {
            current = cut[k] == 0 ? current + 1 : 0
            if current > run.length { run = (k - current + 1, current) }
        }
        #expect(run.start == 45 * 8 && run.length >= 79 && run.length <= 81, "\(run)")
        #expect(cut[(55 * 8 + 2)..<(100 * 8)].contains { $0 != 0 })
        let dial = DTMFTestSignal(keys: "5", dialToneLevel: -13, leadMs: 200).linear()
        let lead = dial[0..<1600]
        #expect(abs(Self.rmsDBm0(lead) - (-10)) < 0.5)  // two tones at −13 dBm0
        #expect(Self.power(lead, 350) > 1000 * Self.power(lead, 770))
    }

    @Test func expectedDigits() {
        #expect(Q24Battery.condition("pause 40 ms")?.expected.count == 32)
        #expect(Q24Battery.condition("interruption 10 ms")?.expected == DTMFTestSignal.allKeys)
        #expect(Q24Battery.condition("tone 23 ms")?.expected == "")
        #expect(!DTMFTestSignal.allKeys.contains(Q24Battery.marker))
        #expect(Set(Q24Battery.conditions.map(\.name)).count == Q24Battery.conditions.count)
    }
}

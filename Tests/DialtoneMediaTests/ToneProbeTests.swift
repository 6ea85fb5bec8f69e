// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import Foundation
import Testing

/// The probe the call-control tests listen with: each party says its own
/// tone, each far end reports which it hears (alone, or summed by a conference).
@Suite struct ToneProbeTests {
    static let parties = [500, 700, 1100, 1300]

    /// `ms` of the sum of `tones` (Hz, dBm0), SpanDSP's generator, linear.
    static func linear(_ tones: [(Int, Int)], ms: Int) -> [Int32] {
        var sum = [Int32](repeating: 0, count: ms * 8)
        var samples = [Int16](repeating: 0, count: ms * 8)
        for (hz, level) in tones {
            let generator = ToneGenerator(ToneDescriptor(hz: hz, level: level))
            _ = samples.withUnsafeMutableBufferPointer { generator.generate(into: $0.baseAddress!, count: $0.count) }
            for k in 0..<sum.count { sum[k] += Int32(samples[k]) }
        }
        return sum
    }

    /// The same as G.711 bytes (the line), saturated.
    static func g711(_ tones: [(Int, Int)], ms: Int, law: G711Law) -> [UInt8] {
        linear(tones, ms: ms).map { G711.encode(Int16(clamping: $0), law) }
    }

    /// One party's tone at −13…−25 dBm0, in either law: heard, alone, at its level.
    @Test(arguments: [G711Law.alaw, .mulaw], [-13, -19, -25])
    func oneToneIsHeardAtItsLevel(law: G711Law, level: Int) {
        for hz in Self.parties {
            let audio = Self.g711([(hz, level)], ms: 300, law: law)
            let probe = ToneProbe(frequencies: Self.parties)
            audio.withUnsafeBytes { probe.feed(g711: $0, law: law) }
            #expect(probe.blocks == 15)
            #expect(probe.heard() == [hz], "\(hz) Hz at \(level) dBm0, \(law)")
            let i = Self.parties.firstIndex(of: hz)!
            #expect(abs(probe.level(at: i) - Double(level)) < 1, "\(hz) Hz measured at \(probe.level(at: i)) dBm0, sent at \(level)")
            for j in Self.parties.indices where j != i { #expect(probe.presentCount(at: j) == 0) }
        }
    }

    /// A conference mix sums the parties' tones: every subset is told apart,
    /// also with a loud and a faint party together, in both laws.
    @Test(arguments: [G711Law.alaw, .mulaw])
    func summedTonesAreToldApart(law: G711Law) {
        for mask in 1..<(1 << Self.parties.count) {
            let present = Self.parties.indices.filter { mask & (1 << $0) != 0 }
            let tones = present.enumerated().map { k, i in (Self.parties[i], k % 2 == 0 ? -13 : -25) }
            let heard = ToneProbe.heard(in: Self.g711(tones, ms: 300, law: law), law: law, among: Self.parties)
            #expect(heard == Set(present.map { Self.parties[$0] }), "sent \(tones), \(law)")
        }
    }

    /// Silence, tones between the parties' (600, 900 Hz), a party's tone
    /// far below −25 dBm0 and line noise are not reported.
    @Test func absentTonesAreNotReported() {
        let law = G711Law.alaw
        #expect(ToneProbe.heard(in: [UInt8](repeating: law.idleByte, count: 2400), law: law, among: Self.parties).isEmpty)
        #expect(ToneProbe.heard(in: Self.g711([(600, -13), (900, -13)], ms: 300, law: law), law: law, among: Self.parties).isEmpty)
        #expect(ToneProbe.heard(in: Self.g711([(700, -45)], ms: 300, law: law), law: law, among: Self.parties).isEmpty)
        // White noise at about −20 dBm0 with one party at −25 dBm0: only that party.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        let rms = 32768 * pow(10, (-20 - 3.14) / 20) / 2.squareRoot()
        let tone = Self.linear([(1100, -25)], ms: 300)
        let noisy = tone.map { s -> UInt8 in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(seed >> 11) / Double(1 << 53) - 0.5  // uniform: variance 1/12
            return G711.encode(Int16(clamping: Int(Double(s) + u * rms * 12.squareRoot())), law)
        }
        #expect(ToneProbe.heard(in: noisy, law: law, among: Self.parties) == [1100])
    }

    /// "Heard" means in at least half the window's blocks: a tone that
    /// started 100 ms before the end of a 300 ms window is not yet heard, one
    /// that started 200 ms before is.
    @Test func aToneMustFillHalfTheWindow() {
        let law = G711Law.mulaw
        let silence = [UInt8](repeating: law.idleByte, count: 8 * 200)
        #expect(ToneProbe.heard(in: silence + Self.g711([(500, -13)], ms: 100, law: law), law: law, among: Self.parties).isEmpty)
        #expect(ToneProbe.heard(in: Array(silence[0..<800]) + Self.g711([(500, -13)], ms: 200, law: law),
                                law: law, among: Self.parties) == [500])
    }

    /// Feeding the probe allocates nothing (it may run on a media thread).
    @Test func feedingDoesNotAllocate() {
        let audio = Self.g711([(700, -13)], ms: 400, law: .alaw)
        let probe = ToneProbe(frequencies: Self.parties)
        var allocations = 0
        audio.withUnsafeBytes { bytes in
            for f in 0..<(bytes.count / frameBytes) {
                CAllocationCounter_start()
                probe.feed(g711: UnsafeRawBufferPointer(rebasing: bytes[(f * frameBytes)..<((f + 1) * frameBytes)]), law: .alaw)
                _ = probe.isPresent(at: 1)
                allocations += CAllocationCounter_stop()
            }
        }
        #expect(allocations == 0)
        #expect(probe.heard() == [700])
    }
}

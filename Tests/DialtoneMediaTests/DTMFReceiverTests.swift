// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import Foundation
import Testing

/// The receiver alone, fed G.711 audio built sample by sample (random
/// phases per tone, random alignment against the 102-sample blocks), over
/// each Q.24 limit and all sixteen keys. The line-simulator battery
/// (Q24Battery*) checks the same limits through spans with SpanDSP's tones.
struct DTMFSignal {
    static let keys = "123A456B789C*0#D"
    static let rows: [Double] = [697, 770, 852, 941], columns: [Double] = [1209, 1336, 1477, 1633]
    static let zero = 32768 * pow(10, -3.14 / 20)
    var seed: UInt64
    var samples: [Double] = []

    init(seed: UInt64) { self.seed = seed }

    mutating func random() -> Double {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Double(seed >> 11) / Double(1 << 53)
    }

    mutating func silence(_ ms: Double) { samples += [Double](repeating: 0, count: Int(ms * 8)) }

    /// One key: `level` dBm0 for the low tone, the high tone `twist` dB above it.
    mutating func tone(_ key: Character, ms: Double, level: Double = -10, twist: Double = 0, factor: Double = 1) {
        let i = DTMFSignal.keys.firstIndex(of: key)!.utf16Offset(in: DTMFSignal.keys)
        let fr = DTMFSignal.rows[i / 4] * factor, fc = DTMFSignal.columns[i % 4] * factor
        let a = DTMFSignal.zero * pow(10, level / 20), b = a * pow(10, twist / 20)
        let p1 = random() * 2 * .pi, p2 = random() * 2 * .pi
        for n in 0..<Int(ms * 8) {
            let t = Double(n) / 8000
            samples.append(a * sin(2 * .pi * fr * t + p1) + b * sin(2 * .pi * fc * t + p2))
        }
    }

    /// Dial tone (350 + 440 Hz at `level` dBm0 each) under everything so far.
    mutating func dialTone(level: Double = -13, frequencies: [Double] = [350, 440]) {
        let a = DTMFSignal.zero * pow(10, level / 20)
        for n in samples.indices {
            let t = Double(n) / 8000
            for (k, f) in frequencies.enumerated() { samples[n] += a * sin(2 * .pi * f * t + Double(k + 1)) }
        }
    }

    /// White Gaussian noise `snr` dB under two tones at `level` dBm0 each.
    mutating func noise(snr: Double, level: Double) {
        let a = DTMFSignal.zero * pow(10, level / 20)
        let sigma = (a * a / pow(10, snr / 10)).squareRoot()  // two tones: 2 × a²/2 = a²
        for n in samples.indices {
            let u1 = max(random(), 1e-12), u2 = random()
            samples[n] += sigma * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }

    func g711(_ law: G711Law) -> [UInt8] {
        samples.map { G711.encode(Int16(clamping: Int($0.rounded())), law) }
            + [UInt8](repeating: law.idleByte, count: 800)
    }

    /// The digits a fresh receiver hears in this signal.
    func detected(_ law: G711Law, profile: DTMFProfile = .att) -> String {
        let rx = DTMFReceiver(profile: profile)
        let bytes = g711(law)
        bytes.withUnsafeBytes { rx.receive(g711: $0, law: law) }
        return rx.takeDigits()
    }

    /// The sixteen keys, each `ms` long and followed by `gap` ms.
    static func keys(seed: UInt64, ms: Double = 50, gap: Double = 50, repeats: Int = 1, interruption: Double = 0,
                     level: Double = -10, twist: Double = 0, factor: Double = 1) -> DTMFSignal {
        var s = DTMFSignal(seed: seed)
        s.silence(s.random() * 13)
        for k in DTMFSignal.keys {
            for _ in 0..<repeats {
                s.tone(k, ms: ms, level: level, twist: twist, factor: factor)
                if interruption > 0 {
                    s.silence(interruption)
                    s.tone(k, ms: ms, level: level, twist: twist, factor: factor)
                }
                s.silence(gap)
            }
        }
        return s
    }
}

@Suite struct DTMFReceiverTests {
    static let all = DTMFSignal.keys
    static let laws: [G711Law] = [.mulaw, .alaw]

    @Test(arguments: laws) func frequency(law: G711Law) {
        for seed in 1...3 as ClosedRange<UInt64> {
            for f in [1.015, 0.985] { #expect(DTMFSignal.keys(seed: seed, factor: f).detected(law) == Self.all, "\(f)") }
            for f in [1.035, 0.965] { #expect(DTMFSignal.keys(seed: seed, factor: f).detected(law) == "", "\(f)") }
        }
    }

    @Test(arguments: laws) func level(law: G711Law) {
        for seed in 1...3 as ClosedRange<UInt64> {
            #expect(DTMFSignal.keys(seed: seed, level: -3).detected(law) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, level: -25).detected(law) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, level: -35).detected(law) == "")
            #expect(DTMFSignal.keys(seed: seed, level: -35).detected(law, profile: DTMFProfile(minimumLevel: -35)) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, level: -45).detected(law, profile: DTMFProfile(minimumLevel: -35)) == "")
        }
    }

    @Test(arguments: laws) func twist(law: G711Law) {
        for seed in 1...3 as ClosedRange<UInt64> {
            #expect(DTMFSignal.keys(seed: seed, level: -10, twist: -8).detected(law) == Self.all, "normal 8")
            #expect(DTMFSignal.keys(seed: seed, level: -14, twist: 4).detected(law) == Self.all, "reverse 4")
            #expect(DTMFSignal.keys(seed: seed, level: -10, twist: -10).detected(law) == "", "normal 10")
            #expect(DTMFSignal.keys(seed: seed, level: -18, twist: 8).detected(law) == "", "reverse 8")
        }
    }

    @Test(arguments: laws) func timing(law: G711Law) {
        for seed in 1...3 as ClosedRange<UInt64> {
            #expect(DTMFSignal.keys(seed: seed, ms: 40, gap: 60).detected(law) == Self.all, "40 ms")
            #expect(DTMFSignal.keys(seed: seed, ms: 23, gap: 60).detected(law) == "", "23 ms")
            let twice = String(Self.all.flatMap { [$0, $0] })
            #expect(DTMFSignal.keys(seed: seed, ms: 50, gap: 40, repeats: 2).detected(law) == twice, "40 ms pause")
            #expect(DTMFSignal.keys(seed: seed, ms: 30, gap: 60, interruption: 10).detected(law) == Self.all, "10 ms break")
        }
    }

    @Test(arguments: laws) func dialToneAndNoise(law: G711Law) {
        for seed in 1...3 as ClosedRange<UInt64> {
            var d = DTMFSignal.keys(seed: seed, level: -20)
            d.dialTone()
            #expect(d.detected(law) == Self.all, "dial tone")
            var n = DTMFSignal.keys(seed: seed, ms: 40, gap: 40, level: -25)
            n.noise(snr: 15, level: -25)
            #expect(n.detected(law) == Self.all, "15 dB S/N")
        }
    }

    /// The ETSI profile: twist up to 6 dB either way, tones of 20 ms rejected,
    /// breaks of up to 20 ms bridged, digits heard over 425 Hz dial tone.
    @Test(arguments: laws) func etsi(law: G711Law) {
        let p = DTMFProfile.etsi
        for seed in 1...3 as ClosedRange<UInt64> {
            #expect(DTMFSignal.keys(seed: seed, factor: 1.015).detected(law, profile: p) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, factor: 0.965).detected(law, profile: p) == "")
            #expect(DTMFSignal.keys(seed: seed, level: -10, twist: -6).detected(law, profile: p) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, level: -16, twist: 6).detected(law, profile: p) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, ms: 40, gap: 40).detected(law, profile: p) == Self.all)
            #expect(DTMFSignal.keys(seed: seed, ms: 20, gap: 60).detected(law, profile: p) == "")
            #expect(DTMFSignal.keys(seed: seed, ms: 40, gap: 60, interruption: 20).detected(law, profile: p) == Self.all)
            var d = DTMFSignal.keys(seed: seed, level: -20)
            d.dialTone(frequencies: [425])
            #expect(d.detected(law, profile: p) == Self.all, "425 Hz dial tone")
        }
    }

    /// Each tone is reported with its length and how long ago it began.
    @Test func durationsAndAges() {
        var s = DTMFSignal(seed: 7)
        s.silence(20); s.tone("5", ms: 40); s.silence(60); s.tone("#", ms: 120); s.silence(100)
        let rx = DTMFReceiver()
        let bytes = s.g711(.alaw)
        bytes.withUnsafeBytes { rx.receive(g711: $0, law: .alaw) }
        var tones = [DTMFTone](repeating: DTMFTone(key: 0, durationMs: 0, ageMs: 0), count: 4)
        let n = tones.withUnsafeMutableBufferPointer { rx.takeTones(into: $0.baseAddress!, capacity: 4) }
        #expect(n == 2)
        let total = bytes.count / 8
        #expect(tones[0].character == "5" && abs(Int(tones[0].durationMs) - 40) <= 3, "\(tones[0])")
        #expect(tones[1].character == "#" && abs(Int(tones[1].durationMs) - 120) <= 3, "\(tones[1])")
        #expect(abs(Int(tones[0].ageMs) - (total - 20)) <= 3, "\(tones[0]) of \(total) ms")
        #expect(abs(Int(tones[1].ageMs) - (total - 120)) <= 3, "\(tones[1]) of \(total) ms")
    }

    /// Receiving, detecting and taking tones allocates nothing (the media thread runs it).
    @Test func allocatesNothing() {
        var s = DTMFSignal.keys(seed: 3, ms: 40, gap: 40, interruption: 10)
        s.dialTone()
        let bytes = s.g711(.mulaw)
        var linear = [Int16](repeating: 0, count: bytes.count)
        for i in bytes.indices { linear[i] = G711.linear(bytes[i], .mulaw) }
        let rx = DTMFReceiver(profile: .etsi)
        var tones = [DTMFTone](repeating: DTMFTone(key: 0, durationMs: 0, ageMs: 0), count: 8)
        var heard = 0
        linear.withUnsafeBufferPointer { audio in
            tones.withUnsafeMutableBufferPointer { out in
                CAllocationCounter_start()
                var i = 0
                while i < audio.count {
                    let n = min(160, audio.count - i)
                    rx.receive(audio.baseAddress! + i, count: n)
                    heard += rx.takeTones(into: out.baseAddress!, capacity: 8)
                    i += n
                }
                #expect(CAllocationCounter_stop() == 0)
            }
        }
        #expect(heard == 16)
    }
}

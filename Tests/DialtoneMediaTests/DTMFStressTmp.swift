import DialtoneMedia
import DialtoneSpans
import Foundation
import Testing

@Suite struct DTMFStressTmp {
    @Test func stress() {
        let all = DTMFSignal.keys
        let twice = String(all.flatMap { [$0, $0] })
        var cases: [(String, (UInt64) -> DTMFSignal, String)] = [
            ("+1.5", { DTMFSignal.keys(seed: $0, factor: 1.015) }, all),
            ("-1.5", { DTMFSignal.keys(seed: $0, factor: 0.985) }, all),
            ("+3.5", { DTMFSignal.keys(seed: $0, factor: 1.035) }, ""),
            ("-3.5", { DTMFSignal.keys(seed: $0, factor: 0.965) }, ""),
            ("-25", { DTMFSignal.keys(seed: $0, level: -25) }, all),
            ("-25 40ms +1.5", { DTMFSignal.keys(seed: $0, ms: 40, gap: 40, level: -25, factor: 1.015) }, all),
            ("n8", { DTMFSignal.keys(seed: $0, level: -10, twist: -8) }, all),
            ("r4", { DTMFSignal.keys(seed: $0, level: -14, twist: 4) }, all),
            ("n10", { DTMFSignal.keys(seed: $0, level: -10, twist: -10) }, ""),
            ("r8", { DTMFSignal.keys(seed: $0, level: -18, twist: 8) }, ""),
            ("n8 +1.5 40ms", { DTMFSignal.keys(seed: $0, ms: 40, gap: 40, level: -10, twist: -8, factor: 1.015) }, all),
            ("r4 -1.5 40ms", { DTMFSignal.keys(seed: $0, ms: 40, gap: 40, level: -14, twist: 4, factor: 0.985) }, all),
            ("40ms", { DTMFSignal.keys(seed: $0, ms: 40, gap: 40) }, all),
            ("23ms", { DTMFSignal.keys(seed: $0, ms: 23, gap: 40) }, ""),
            ("25ms", { DTMFSignal.keys(seed: $0, ms: 25, gap: 40) }, ""),
            ("pause40", { DTMFSignal.keys(seed: $0, ms: 40, gap: 40, repeats: 2) }, twice),
            ("intr10", { DTMFSignal.keys(seed: $0, ms: 26, gap: 40, interruption: 10) }, all),
            ("intr10b", { DTMFSignal.keys(seed: $0, ms: 40, gap: 40, interruption: 10) }, all),
        ]
        cases.append(("dial -25", { var s = DTMFSignal.keys(seed: $0, ms: 40, gap: 40, level: -25); s.dialTone(); return s }, all))
        cases.append(("noise15 -25", { var s = DTMFSignal.keys(seed: $0, ms: 40, gap: 40, level: -25); s.noise(snr: 15, level: -25); return s }, all))
        cases.append(("noise15 -10 +1.5", { var s = DTMFSignal.keys(seed: $0, ms: 40, gap: 40, level: -10, factor: 1.015); s.noise(snr: 15, level: -10); return s }, all))
        for (name, make, want) in cases {
            var bad = 0, examples: [String] = []
            for seed in 100..<115 as Range<UInt64> {
                for law in [G711Law.mulaw, .alaw] {
                    let got = make(seed).detected(law)
                    if got != want { bad += 1; if examples.count < 3 { examples.append(got) } }
                }
            }
            print("STRESS \(name): \(bad)/60 bad \(examples)")
        }
    }
}

@Suite struct DTMFTalkTmp {
    @Test func talk() throws {
        let d = try Data(contentsOf: URL(fileURLWithPath: "/tmp/talk.raw"))
        let samples = d.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        for law in [G711Law.mulaw, .alaw] {
            for profile in [DTMFProfile.att, DTMFProfile(minimumLevel: -35), .etsi] {
                let rx = DTMFReceiver(profile: profile)
                let bytes = samples.map { G711.encode($0, law) }
                var tones = [DTMFTone](repeating: DTMFTone(key: 0, durationMs: 0, ageMs: 0), count: 8)
                var got: [DTMFTone] = []
                var i = 0
                while i < bytes.count {
                    let n = min(160, bytes.count - i)
                    bytes[i..<(i + n)].withUnsafeBytes { rx.receive(g711: $0, law: law) }
                    let k = tones.withUnsafeMutableBufferPointer { rx.takeTones(into: $0.baseAddress!, capacity: 8) }
                    for j in 0..<k { got.append(tones[j]); print("TALKAT \(i) \(tones[j])") }
                    i += n
                }
                print("TALK \(law) \(profile.standard) \(profile.minimumLevel): \(got.count) false \(got.prefix(5))")
            }
        }
    }
}

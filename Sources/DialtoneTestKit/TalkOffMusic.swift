// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Synthetic music for the DTMF talk-off corpus, the same on every run for
/// a seed: pieces of a few seconds, each two or three instruments with rich
/// harmonic spectra (sawtooth, square, brass, organ, clarinet and string
/// timbres, additive and band-limited below 3.8 kHz) playing melodies,
/// duets, chords and bass lines in a random key and tempo, with vibrato,
/// glides between notes and slow sweeps. Music is the classic talk-off
/// stress: two strong partials of two instruments can look like a DTMF pair.
///
/// Fundamentals stay at or below 950 Hz (melodies up to A#5, 932 Hz), so
/// that every note has several partials in the telephone band and a
/// high-group DTMF frequency is only ever a harmonic among others: above
/// that, an instrument on the line is nearly a pure tone, and two pure tones
/// within 1.5 % of a DTMF pair for 40 ms are a digit that a Q.24 receiver
/// must accept, not talk-off it could reject.
public enum TalkOffMusic {
    /// One piece: its name says what plays (reported with a false digit).
    public struct Piece: Sendable {
        public var name: String
        public var samples: [Int16]
    }

    static let sampleRate = 8000.0
    static let pieceSeconds = 10

    /// Fundamentals of the corpus's music stay at or below this.
    public static let highestHz = 950.0

    /// `seconds` of music (whole pieces of 10 s) at 8 kHz, in 16-bit sample
    /// units (about −10 dBFS; ``TalkOffCorpus`` sets the level on the line).
    /// `highestHz` above 950 lets melodies and sweeps rise into the DTMF
    /// high group as near-pure tones: not talk-off a receiver can be asked
    /// to reject, but a figure for the benchmark.
    public static func generate(seconds: Int, seed: UInt64 = 0x7A1C_0FF5, highestHz: Double = highestHz) -> [Piece] {
        var random = SplitMix64(seed: seed)
        let tables = Wavetables()
        return (0..<max(1, seconds / pieceSeconds)).map { index in
            var composer = Composer(random: random, tables: tables, index: index, highestHz: highestHz)
            let piece = composer.compose(seconds: pieceSeconds)
            random = composer.random
            return piece
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, seeded, the same everywhere.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func range(_ r: ClosedRange<Double>) -> Double { r.lowerBound + unit() * (r.upperBound - r.lowerBound) }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

/// One cycle of each timbre, band-limited to a few harmonic counts, so that a
/// note uses the richest table whose top harmonic stays below 3.8 kHz.
struct Wavetables {
    enum Timbre: String, CaseIterable {
        case saw, square, brass, organ, clarinet, strings

        func amplitude(_ k: Int) -> Double {
            let h = Double(k)
            switch self {
            case .saw: return 1 / h
            case .square: return k % 2 == 1 ? 1 / h : 0
            case .brass: return exp(-(h - 3) * (h - 3) / 8) + 0.3 / h
            case .organ: return [1: 1.0, 2: 0.8, 3: 0.6, 4: 0.5, 6: 0.4, 8: 0.35, 10: 0.2, 12: 0.2, 16: 0.15][k] ?? 0
            case .clarinet: return k % 2 == 1 ? 1 / pow(h, 0.7) : 0.1 / h
            case .strings: return 1 / pow(h, 0.8)
            }
        }
    }

    static let size = 1024
    static let harmonicCounts = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48]
    /// [timbre][harmonic count index] → one cycle, peak 1.
    let cycles: [[[Float]]]

    init() {
        cycles = Timbre.allCases.map { timbre in
            Wavetables.harmonicCounts.map { count in
                var cycle = [Float](repeating: 0, count: Wavetables.size)
                for k in 1...count {
                    let a = timbre.amplitude(k)
                    if a == 0 { continue }
                    for n in 0..<Wavetables.size {
                        cycle[n] += Float(a * sin(2 * Double.pi * Double(k * n) / Double(Wavetables.size)))
                    }
                }
                let peak = cycle.map(abs).max() ?? 1
                return peak > 0 ? cycle.map { $0 / peak } : cycle
            }
        }
    }

    /// The table for `timbre` with as many harmonics as fit below 3.8 kHz at `highestHz`.
    func cycle(_ timbre: Timbre, highestHz: Double) -> [Float] {
        let fit = Int(3800 / highestHz)
        let index = Wavetables.harmonicCounts.lastIndex { $0 <= fit } ?? 0
        return cycles[Timbre.allCases.firstIndex(of: timbre)!][index]
    }
}

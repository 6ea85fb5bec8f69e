// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// SpanDSP's tone generator as test equipment: two frequencies (fractions of
/// a hertz allowed, for offsets such as +1.5 %), each at its own level, on a
/// cadence. The line simulator builds its DTMF test signals (the Q.24
/// battery) from these. Allocates: not for the media thread.
public enum TestTones {
    /// Linear samples (8 kHz) of `f1` at `level1` dBm0 plus `f2` at `level2`
    /// dBm0 (`f2` 0: a single tone), cut by `cadence` (ms: on, off, on, off;
    /// a 0 ends it), played once: `tone_gen_descriptor_init` + `tone_gen`.
    public static func dualTone(_ f1: Double, level1: Int, _ f2: Double, level2: Int,
                                cadence: (Int, Int, Int, Int)) -> [Int16] {
        let total = cadence.0 + cadence.1 + cadence.2 + cadence.3
        return generate(f1, level1, f2, level2, cadence: cadence, repeating: false, count: total * 8)
    }

    /// `count` linear samples of `f1` at `level1` dBm0 plus `f2` at `level2`
    /// dBm0, steady (phase continuous): a dial tone under a test signal.
    public static func continuous(_ f1: Double, level1: Int, _ f2: Double, level2: Int, count: Int) -> [Int16] {
        generate(f1, level1, f2, level2, cadence: (10_000, 0, 0, 0), repeating: true, count: count)
    }

    static func generate(_ f1: Double, _ level1: Int, _ f2: Double, _ level2: Int,
                         cadence c: (Int, Int, Int, Int), repeating: Bool, count: Int) -> [Int16] {
        guard count > 0 else { return [] }
        let descriptor = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: CSpanDSP_tone_gen_descriptor_size(), alignment: 16))
        let state = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: CSpanDSP_tone_gen_state_size(), alignment: 16))
        defer {
            UnsafeMutableRawPointer(descriptor).deallocate()
            UnsafeMutableRawPointer(state).deallocate()
        }
        // Whole hertz first (the descriptor's levels and cadence), then the exact frequencies.
        _ = tone_gen_descriptor_init(descriptor, Int32(f1.rounded()), Int32(level1), Int32(f2.rounded()), Int32(level2),
                                     Int32(c.0), Int32(c.1), Int32(c.2), Int32(c.3), repeating ? 1 : 0)
        if f1 > 0 { CSpanDSP_tone_gen_descriptor_set_frequency(descriptor, 0, Float(f1)) }
        if f2 > 0 { CSpanDSP_tone_gen_descriptor_set_frequency(descriptor, 1, Float(f2)) }
        _ = tone_gen_init(state, descriptor)
        var out = [Int16](repeating: 0, count: count)
        var done = 0
        out.withUnsafeMutableBufferPointer { buffer in
            while done < count {
                let n = Int(tone_gen(state, buffer.baseAddress! + done, Int32(min(frameBytes, count - done))))
                if n <= 0 { break }  // the cadence ended; the rest stays silent
                done += n
            }
        }
        return out
    }
}

/// SpanDSP's additive white Gaussian noise source (`awgn`), flat over the
/// 0–4 kHz band of an 8 kHz channel, its RMS level set in dBm0. Seeded:
/// the same seed gives the same noise. Allocates: not for the media thread.
public final class WhiteNoise {
    private let state: OpaquePointer  // awgn_state_t

    /// Noise of `level` dBm0 (its total power in the channel).
    public init(level: Double, seed: Int32 = 1_234_567) {
        state = awgn_init_dbm0(nil, seed, Float(level))
    }

    deinit { _ = awgn_free(state) }

    /// The next sample.
    public func next() -> Int16 { awgn(state) }

    /// Adds the noise to `samples`, saturating.
    public func add(to samples: inout [Int16]) {
        for k in samples.indices { samples[k] = Int16(clamping: Int32(samples[k]) + Int32(awgn(state))) }
    }
}

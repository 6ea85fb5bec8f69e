// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation

/// Levels on a G.711 line: the active speech level of ITU-T P.56 and the
/// dBm0 scale of linear samples.
public enum ActiveLevel {
    /// How far a sine at 0 dBm0 stays below a law's overload point (G.711: A-law 3.14 dB, µ-law 3.17 dB).
    public static func overloadDB(_ law: G711Law) -> Double { law == .alaw ? 3.14 : 3.17 }

    /// The RMS, in linear 16-bit sample units, of a signal at `dBm0` on a `law` line
    /// (SpanDSP's convention: a 0 dBm0 sine peaks `overloadDB` below 32767).
    public static func rms(dBm0: Double, _ law: G711Law) -> Double {
        32767 / 2.0.squareRoot() * pow(10, (dBm0 - overloadDB(law)) / 20)
    }

    /// `rms` (linear 16-bit units) as dBm0 on a `law` line.
    public static func dBm0(rms: Double, _ law: G711Law) -> Double {
        20 * log10(rms / self.rms(dBm0: 0, law))
    }

    /// ITU-T P.56 method B: the RMS of `samples` over the time they are
    /// active, and the fraction of the time they are active. Envelope
    /// time constant 0.03 s, hangover 0.2 s, margin 15.9 dB, thresholds
    /// at every power of 2 of the 16-bit scale; the envelope runs per sample,
    /// the thresholds are checked once a millisecond. Zero for silence.
    public static func measure(_ samples: UnsafeBufferPointer<Int16>, sampleRate: Int = 8000) -> (rms: Double, activity: Double) {
        let thresholds = 16, margin = 15.9
        let block = max(1, sampleRate / 1000)
        let g = Float(exp(-1 / (Double(sampleRate) * 0.03)))
        let hangover = 200  // blocks of 1 ms
        var active = [Int](repeating: 0, count: thresholds)
        var held = [Int](repeating: hangover, count: thresholds)
        var p: Float = 0, q: Float = 0
        var sumSquares = 0.0
        var start = 0
        while start < samples.count {
            let end = min(start + block, samples.count)
            var peak: Float = 0, squares: Float = 0
            for n in start..<end {
                let x = Float(samples[n])
                squares += x * x
                p = g * p + (1 - g) * abs(x)
                q = g * q + (1 - g) * p
                peak = max(peak, q)
            }
            sumSquares += Double(squares)
            let count = end - start
            for j in 0..<thresholds {
                if peak >= Float(1 << j) {
                    active[j] += count
                    held[j] = 0
                } else if held[j] < hangover {
                    active[j] += count
                    held[j] += 1
                } else {
                    break  // higher thresholds are above the envelope and past their hangover too
                }
            }
            start = end
        }
        guard sumSquares > 0, active[0] > 0 else { return (0, 0) }
        // A_j: the level over the time active at threshold c_j; the active
        // level is where A_j - C_j falls through the margin (interpolated).
        var previous: (a: Double, delta: Double)?
        for j in 0..<thresholds where active[j] > 0 {
            let a = 10 * log10(sumSquares / Double(active[j]))
            let delta = a - 20 * log10(Double(1 << j))
            if delta <= margin {
                let level: Double
                if let previous {
                    let f = (previous.delta - margin) / (previous.delta - delta)
                    level = previous.a + f * (a - previous.a)
                } else {
                    level = a
                }
                let activity = Double(active[j]) / Double(samples.count)
                return (pow(10, level / 20), activity)
            }
            previous = (a, delta)
        }
        let a = previous?.a ?? 0
        return (pow(10, a / 20), Double(active.last { $0 > 0 } ?? 0) / Double(samples.count))
    }
}

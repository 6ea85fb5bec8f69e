// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSpans
import Foundation

/// A DTMF test signal as a receiver test battery plays it (ITU-T Q.24): a
/// key sequence with both tones shifted by a factor, each group at its own
/// level, chosen on and off times, optionally a short interruption inside
/// every tone, a continuous dial tone under it and white noise at a given
/// S/N. Made with SpanDSP (tone generator, `awgn`), never with the DTMF
/// generator under test's own code.
///
/// The audio is: `leadMs` of lead-in, then each key (`repeats` times in a
/// row) as `onMs` of tone and `offMs` of pause, then `leadMs` of lead-out.
/// Dial tone and noise, when on, run through all of it (lead-in and
/// lead-out included), as on a line that has them.
public struct DTMFTestSignal: Sendable, Equatable, CustomStringConvertible {
    /// Keys to send, in order (`0`–`9`, `*`, `#`, `A`–`D`).
    public var keys: String
    /// Both tones' frequencies are multiplied by this (1.015: +1.5 %).
    public var frequencyFactor: Double
    /// Level of the low-group (row) tone, dBm0.
    public var lowLevel: Int
    /// Level of the high-group (column) tone, dBm0. Normal twist: below
    /// `lowLevel`; reverse twist: above it.
    public var highLevel: Int
    /// Length of each tone, ms (interruption included).
    public var onMs: Int
    /// Pause after each tone, ms.
    public var offMs: Int
    /// A gap of this many ms in the middle of each tone (0: none): the tone
    /// is sent as (onMs − interruptionMs) / 2 on, the gap, the rest on.
    public var interruptionMs: Int
    /// Each key is sent this many times in a row (2: `11223344…`).
    public var repeats: Int
    /// Level per tone (dBm0) of a continuous 350 + 440 Hz dial tone under
    /// the signal; nil: none.
    public var dialToneLevel: Int?
    /// White noise (SpanDSP `awgn`) under the signal at this S/N (dB); nil: none.
    /// S/N is the power of one DTMF tone pair (both tones, at `lowLevel` and
    /// `highLevel`) over the noise's total power in the channel (flat,
    /// 0–4 kHz: all of it falls in the band an 8 kHz receiver sees).
    public var noiseSNR: Double?
    /// Silence (or dial tone, noise) before the first key and after the last, ms.
    public var leadMs: Int
    /// Extra samples before the first key (0–159): moves the tones against a
    /// receiver's analysis blocks and the 20 ms frames, since whether a tone
    /// at a limit is taken can depend on where it falls.
    public var offsetSamples: Int
    /// The noise's seed (the same seed, the same noise).
    public var seed: Int32

    public init(keys: String = DTMFTestSignal.allKeys, frequencyFactor: Double = 1, lowLevel: Int = -10, highLevel: Int = -10,
                onMs: Int = 60, offMs: Int = 60, interruptionMs: Int = 0, repeats: Int = 1,
                dialToneLevel: Int? = nil, noiseSNR: Double? = nil, leadMs: Int = 200, offsetSamples: Int = 0,
                seed: Int32 = 1_234_567) {
        self.keys = keys
        self.frequencyFactor = frequencyFactor
        self.lowLevel = lowLevel
        self.highLevel = highLevel
        self.onMs = onMs
        self.offMs = offMs
        self.interruptionMs = interruptionMs
        self.repeats = repeats
        self.dialToneLevel = dialToneLevel
        self.noiseSNR = noiseSNR
        self.leadMs = leadMs
        self.offsetSamples = offsetSamples
        self.seed = seed
    }

    /// The 16 keys in keypad order, row by row.
    public static let allKeys = "123A456B789C*0#D"
    /// Low-group (row) and high-group (column) frequencies, Hz.
    public static let rows: [Double] = [697, 770, 852, 941]
    public static let columns: [Double] = [1209, 1336, 1477, 1633]
    /// Dial tone (precise tone plan, North America): 350 + 440 Hz.
    public static let dialTone: (Double, Double) = (350, 440)

    /// A key's nominal (low, high) frequencies; nil for a character that is no key.
    public static func frequencies(of key: Character) -> (low: Double, high: Double)? {
        guard let i = allKeys.firstIndex(of: key) else { return nil }
        let n = allKeys.distance(from: allKeys.startIndex, to: i)
        return (rows[n / 4], columns[n % 4])
    }

    /// The digits a receiver that meets the standard reports for this signal
    /// when it accepts the tones: each key `repeats` times.
    public var sentDigits: String { String(keys.flatMap { k in repeatElement(k, count: repeats) }) }

    /// Total power of one tone pair, dBm0.
    public var pairLevel: Double { 10 * log10(pow(10, Double(lowLevel) / 10) + pow(10, Double(highLevel) / 10)) }

    /// The noise level (dBm0) that gives ``noiseSNR``.
    public var noiseLevel: Double? { noiseSNR.map { pairLevel - $0 } }

    /// Samples of the whole signal.
    public var sampleCount: Int {
        let perKey = onMs + offMs
        return (2 * leadMs + keys.count * repeats * perKey) * 8 + offsetSamples
    }

    /// The signal as linear samples (8 kHz).
    public func linear() -> [Int16] {
        var out = [Int16](repeating: 0, count: sampleCount)
        var at = leadMs * 8 + offsetSamples
        let first = max(0, (onMs - interruptionMs) / 2)
        let cadence = interruptionMs > 0 ? (first, interruptionMs, onMs - interruptionMs - first, offMs) : (onMs, offMs, 0, 0)
        for key in keys {
            guard let (low, high) = DTMFTestSignal.frequencies(of: key) else { continue }
            let tone = TestTones.dualTone(low * frequencyFactor, level1: lowLevel, high * frequencyFactor, level2: highLevel,
                                          cadence: cadence)
            for _ in 0..<repeats {
                let n = min(tone.count, out.count - at)
                for k in 0..<n { out[at + k] = tone[k] }
                at += onMs * 8 + offMs * 8
            }
        }
        if let level = dialToneLevel {
            let dial = TestTones.continuous(DTMFTestSignal.dialTone.0, level1: level, DTMFTestSignal.dialTone.1, level2: level,
                                            count: out.count)
            for k in out.indices { out[k] = Int16(clamping: Int32(out[k]) + Int32(dial[k])) }
        }
        if let level = noiseLevel { WhiteNoise(level: level, seed: seed).add(to: &out) }
        return out
    }

    /// The signal as G.711 bytes of `law`, ready to send on a B-channel.
    public func g711(law: G711Law) -> [UInt8] { linear().map { G711.encode($0, law) } }

    public var description: String {
        var parts = [String(format: "%@ ×%d, f %+.1f %%, low %d / high %d dBm0, %d on / %d off ms", keys, repeats,
                            (frequencyFactor - 1) * 100, lowLevel, highLevel, onMs, offMs)]
        if interruptionMs > 0 { parts.append("\(interruptionMs) ms interruption") }
        if let d = dialToneLevel { parts.append("dial tone \(d) dBm0") }
        if let s = noiseSNR { parts.append(String(format: "noise S/N %.0f dB", s)) }
        return parts.joined(separator: ", ")
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia

/// A DTMF receiver conformance battery after ITU-T Q.24 (Table A-1, the
/// AT&T/Bellcore column, the default profile): each condition is one
/// ``DTMFTestSignal`` of all 16 keys and the digits a receiver that meets
/// the standard reports for it — all of them (each key once, or twice for
/// the pause test) or none. The expectations come from the standard, not
/// from any receiver.
///
/// Levels are per tone. Unless a condition is about them, tones are at
/// −10 dBm0 each, 60 ms on and 60 ms off (within every limit). Frequency
/// offsets are exact (SpanDSP's phase rates for the shifted frequencies).
/// Conditions:
/// - frequency: both tones shifted together by ±1.5 % (accepted) and ±3.5 % (rejected);
/// - level: −3 and −25 dBm0 (accepted), −45 dBm0 (rejected), −35 dBm0 with a
///   span configured for it (`DTMFProfile(minimumLevel: -35)`, accepted);
/// - twist: normal 8 dB (low −10, high −18 dBm0) and reverse 4 dB (low −14,
///   high −10) accepted; normal 10 dB (−10/−20) and reverse 8 dB (−18/−10) rejected;
/// - duration: 40 ms tones accepted, 23 ms rejected (pauses 60 ms);
/// - pause: 55 ms tones and 40 ms pauses (a 95 ms cycle: above Bellcore's
///   93 ms minimum), each key twice: 32 digits;
/// - interruption: 100 ms tones cut by 10 ms in the middle (45 + 10 + 45
///   ms: each part alone a valid tone): 16 digits, not 32;
/// - dial tone: keys at −20 dBm0 per tone with dial tone (350 + 440 Hz)
///   at −13 dBm0 per tone, continuous under them (7 dB above each DTMF tone);
/// - noise: keys at −20 dBm0 per tone in white noise (SpanDSP `awgn`) at
///   15 dB S/N — the pair's power (−17 dBm0) over the noise's total power
///   in the 0–4 kHz channel (−32 dBm0).
public enum Q24Battery {
    /// One line of the battery.
    public struct Condition: Sendable, CustomStringConvertible {
        /// Short name, e.g. `frequency +1.5 %`.
        public var name: String
        public var signal: DTMFTestSignal
        /// What a receiver built to the standard reports.
        public var expected: String
        /// The receiver's profile the condition needs (the span's `dtmf` configuration).
        public var profile: DTMFProfile
        /// True when the standard requires the tones accepted.
        public var accepted: Bool { !expected.isEmpty }

        public init(_ name: String, _ signal: DTMFTestSignal, accepted: Bool, profile: DTMFProfile = .att) {
            self.name = name
            self.signal = signal
            self.expected = accepted ? signal.sentDigits : ""
            self.profile = profile
        }

        public var description: String { name }
    }

    /// Sent after a condition's signal on a live call, clean (SpanDSP's DTMF
    /// generator, −10 dBm0, 80 ms on and off): once it is detected, the
    /// receiver has heard everything before it. No key sequence of the
    /// battery contains it (`#` is never followed by `*`).
    public static let marker = "#*"

    static let keys = DTMFTestSignal.allKeys

    /// The battery for the default (AT&T) profile.
    public static let conditions: [Condition] = [
        Condition("nominal", DTMFTestSignal(), accepted: true),
        Condition("frequency +1.5 %", DTMFTestSignal(frequencyFactor: 1.015), accepted: true),
        Condition("frequency -1.5 %", DTMFTestSignal(frequencyFactor: 0.985), accepted: true),
        Condition("frequency +3.5 %", DTMFTestSignal(frequencyFactor: 1.035), accepted: false),
        Condition("frequency -3.5 %", DTMFTestSignal(frequencyFactor: 0.965), accepted: false),
        Condition("level -3 dBm0", DTMFTestSignal(lowLevel: -3, highLevel: -3), accepted: true),
        Condition("level -25 dBm0", DTMFTestSignal(lowLevel: -25, highLevel: -25), accepted: true),
        Condition("level -45 dBm0", DTMFTestSignal(lowLevel: -45, highLevel: -45), accepted: false),
        Condition("level -35 dBm0 (min_level -35)", DTMFTestSignal(lowLevel: -35, highLevel: -35), accepted: true,
                  profile: DTMFProfile(minimumLevel: -35)),
        Condition("normal twist 8 dB", DTMFTestSignal(lowLevel: -10, highLevel: -18), accepted: true),
        Condition("reverse twist 4 dB", DTMFTestSignal(lowLevel: -14, highLevel: -10), accepted: true),
        Condition("normal twist 10 dB", DTMFTestSignal(lowLevel: -10, highLevel: -20), accepted: false),
        Condition("reverse twist 8 dB", DTMFTestSignal(lowLevel: -18, highLevel: -10), accepted: false),
        Condition("tone 40 ms", DTMFTestSignal(onMs: 40, offMs: 60), accepted: true),
        Condition("tone 23 ms", DTMFTestSignal(onMs: 23, offMs: 60), accepted: false),
        Condition("pause 40 ms", DTMFTestSignal(onMs: 55, offMs: 40, repeats: 2), accepted: true),
        Condition("interruption 10 ms", DTMFTestSignal(onMs: 100, offMs: 60, interruptionMs: 10), accepted: true),
        Condition("dial tone -13 dBm0", DTMFTestSignal(lowLevel: -20, highLevel: -20, dialToneLevel: -13), accepted: true),
        Condition("noise 15 dB S/N", DTMFTestSignal(lowLevel: -20, highLevel: -20, noiseSNR: 15), accepted: true),
    ]

    /// The condition named `name`.
    public static func condition(_ name: String) -> Condition? { conditions.first { $0.name == name } }
}

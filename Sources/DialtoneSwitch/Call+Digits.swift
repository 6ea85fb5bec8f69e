// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Where a digit came from (the `source` of a `digits` event).
public enum DigitSource: String, Sendable, Codable, CaseIterable {
    /// DTMF heard on the leg's B-channel (the media engine's Q.24 receiver).
    case inband
    /// A Q.931 keypad facility IE (INFORMATION during the call).
    case keypad
    /// Called-number digits in INFORMATION while the call collects them (overlap receiving).
    case information
}

/// A digit as it reached the switch: the key, where it came from and, for a
/// tone heard in band, how long it lasted and how long before its arrival it began.
public struct ReceivedDigit: Sendable, Equatable {
    public var key: Character
    public var source: DigitSource
    /// In band: the tone's length in milliseconds (nil for digits from signalling).
    public var durationMs: Int?
    /// In band: milliseconds from the tone's start to its arrival at the
    /// switch (the receiver reports a tone when it ends); 0 for signalling.
    public var ageMs: Int

    public init(key: Character, source: DigitSource, durationMs: Int? = nil, ageMs: Int = 0) {
        self.key = key
        self.source = source
        self.durationMs = durationMs
        self.ageMs = ageMs
    }
}

extension Call {
    /// The `digits` event for `digit` from `leg` (on span `span`), arriving
    /// at `now`. The digit's time is when it began: its arrival less its age
    /// (a tone's start; a signalled digit's arrival), given as `at_ms`, the
    /// milliseconds since the call was answered (absent before the answer:
    /// overlap digits, keypad digits while it rings; negative for a tone
    /// that began before it), and as `start_ms`, since the call began (its
    /// SETUP arrived, or the API originated it). Pure: `now` is the switch's.
    func digitEvent(_ digit: ReceivedDigit, leg: Int, span: String?, now: Date) -> SwitchEvent {
        let began = now.addingTimeInterval(-Double(digit.ageMs) / 1000)
        var e = SwitchEvent(.digits, call: id, leg: leg)
        e.digits = String(digit.key)
        e.source = digit.source.rawValue
        e.span = span
        e.channel = self.leg(leg)?.channel
        e.atMs = answer.map { Call.milliseconds(from: $0, to: began) }
        e.startMs = Call.milliseconds(from: start, to: began)
        e.durationMs = digit.durationMs
        return e
    }

    static func milliseconds(from a: Date, to b: Date) -> Int {
        Int((b.timeIntervalSince(a) * 1000).rounded())
    }
}

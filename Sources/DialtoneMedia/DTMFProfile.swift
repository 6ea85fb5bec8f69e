// SPDX-License-Identifier: GPL-2.0-or-later

/// A DTMF tone the receiver accepted: the key, how long the tone lasted and
/// how long ago it began (from the last sample fed), so that the switch can
/// place it on its own clock. Reported when the tone ends.
public struct DTMFTone: Sendable, Equatable {
    /// The key, ASCII (`0`–`9`, `*`, `#`, `A`–`D`).
    public var key: UInt8
    /// The tone's measured length, in milliseconds.
    public var durationMs: UInt16
    /// Milliseconds from the tone's start to the end of the audio fed so far.
    public var ageMs: UInt16

    public init(key: UInt8, durationMs: UInt16, ageMs: UInt16) {
        self.key = key
        self.durationMs = durationMs
        self.ageMs = ageMs
    }

    public var character: Character { Character(UnicodeScalar(key)) }
}

/// The limits a DTMF receiver is built to (ITU-T Q.24, Table A-1): the
/// AT&T/Bellcore column that North American and most ISDN networks use, or
/// the ETSI values (ES 201 235-3) where they differ. Chosen per span.
public struct DTMFProfile: Sendable, Equatable, Hashable {
    public enum Standard: String, Sendable, CaseIterable, Hashable {
        case att
        case etsi
    }

    public var standard: Standard
    /// The lowest level per tone (dBm0) the receiver must accept: −25 by
    /// default; −35 for spans configured for long or lossy loops.
    public var minimumLevel: Int
    /// Notch 350 and 440 Hz (and 425 Hz for ETSI) before detection, so that
    /// digits are heard over dial tone.
    public var dialToneFilter: Bool

    public init(standard: Standard = .att, minimumLevel: Int = -25, dialToneFilter: Bool = true) {
        self.standard = standard
        self.minimumLevel = minimumLevel
        self.dialToneFilter = dialToneFilter
    }

    public static let att = DTMFProfile()
    public static let etsi = DTMFProfile(standard: .etsi)
}

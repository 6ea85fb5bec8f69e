// SPDX-License-Identifier: GPL-2.0-or-later

/// Turns a calling number as it arrives (digits plus the Q.931 type of
/// number and numbering plan) or as a person types it into E.164 digits
/// without the `+` (`4930123456`, `14155550100`): the key of the customer
/// table. Pure; configured by the `customers:` section (docs/config.md).
///
/// - International numbers are E.164 already.
/// - National numbers get the country code (a national prefix sent anyway is removed).
/// - Subscriber (local) numbers get the country and area codes.
/// - Unknown (and network-specific/abbreviated) numbers are read by their
///   prefix: the international prefix (`00`, `011`) or `+` makes them
///   international, the national prefix (`0`, `1`) national; without a
///   prefix, a number of `nationalNumberLength` digits is national, any
///   other a subscriber number.
/// - Private-plan numbers (extensions) are kept as they are.
///
/// Without a country code, national and subscriber numbers cannot be made
/// E.164: they are kept as national digits (area code added, prefix removed).
public struct NumberNormaliser: Sendable, Equatable {
    /// E.164 country code, e.g. `49`, `44`, `1`; empty when not configured.
    public var countryCode: String
    /// The local area code without the national prefix (`30`, `415`); may be empty.
    public var areaCode: String
    /// Dialled before a national number (`0` in most of the world, `1` in NANP); may be empty.
    public var nationalPrefix: String
    /// Dialled before an international number (`00`, `011`).
    public var internationalPrefix: String
    /// Digits of a national significant number (10 in NANP), when fixed:
    /// an unknown-type number of that length without a prefix is national.
    public var nationalNumberLength: Int?

    public init(countryCode: String = "", areaCode: String = "", nationalPrefix: String = "0",
                internationalPrefix: String = "00", nationalNumberLength: Int? = nil) {
        self.countryCode = countryCode
        self.areaCode = areaCode
        self.nationalPrefix = nationalPrefix
        self.internationalPrefix = internationalPrefix
        self.nationalNumberLength = nationalNumberLength
    }

    /// Q.931 type of number (bits 7–5 of the calling party number's octet 3).
    public enum TypeOfNumber: Int, Sendable {
        case unknown = 0, international = 1, national = 2, networkSpecific = 3, subscriber = 4, abbreviated = 6
    }

    /// Q.931 numbering plan (bits 4–1): 1 ISDN/telephony (E.164), 9 private.
    public static let privatePlan = 0x09

    /// E.164 digits for `digits` received with the type-of-number/plan octet
    /// `plan` (libpri's `plan`, e.g. 0x11 international, 0x21 national, 0x41
    /// subscriber, 0x01 or 0x00 unknown). Characters other than digits are
    /// dropped; a leading `+` makes the number international.
    public func normalise(digits: String, plan: Int) -> String {
        let plus = digits.hasPrefix("+")
        let d = String(digits.filter(\.isASCIIDigit))
        if plus { return d }
        if plan & 0x0F == Self.privatePlan { return d }
        switch TypeOfNumber(rawValue: (plan >> 4) & 0x07) ?? .unknown {
        case .international:
            return d
        case .national:
            return national(strip(nationalPrefix, from: d))
        case .subscriber:
            return subscriber(d)
        case .unknown, .networkSpecific, .abbreviated:
            return byPrefix(d)
        }
    }

    /// E.164 digits for a number as people write it (`+44 20 7946 0018`,
    /// `(415) 555-0100`, `0049 30 123456`, `030 123456`): spaces, dashes,
    /// dots, slashes and parentheses are ignored, `+` means international,
    /// otherwise it is read as an unknown-type number (by its prefix). Nil
    /// when it holds anything else or no digit.
    public func normalise(_ text: String) -> String? {
        var s = Substring(text.trimmingSpaces)
        let plus = s.hasPrefix("+")
        if plus { s = s.dropFirst() }
        guard s.allSatisfy({ $0.isASCIIDigit || " -./()\t".contains($0) }) else { return nil }
        let d = String(s.filter(\.isASCIIDigit))
        guard !d.isEmpty else { return nil }
        return plus ? d : byPrefix(d)
    }

    private func byPrefix(_ d: String) -> String {
        if !internationalPrefix.isEmpty, d.hasPrefix(internationalPrefix), d.count > internationalPrefix.count {
            return String(d.dropFirst(internationalPrefix.count))
        }
        if !nationalPrefix.isEmpty, d.hasPrefix(nationalPrefix), d.count > nationalPrefix.count {
            return national(String(d.dropFirst(nationalPrefix.count)))
        }
        if let n = nationalNumberLength, d.count == n { return national(d) }
        return subscriber(d)
    }

    private func national(_ d: String) -> String { countryCode + d }
    private func subscriber(_ d: String) -> String { countryCode + areaCode + d }

    private func strip(_ prefix: String, from d: String) -> String {
        guard !prefix.isEmpty, d.hasPrefix(prefix), d.count > prefix.count else { return d }
        return String(d.dropFirst(prefix.count))
    }
}

extension Character {
    /// 0–9 only (not other scripts' digits).
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

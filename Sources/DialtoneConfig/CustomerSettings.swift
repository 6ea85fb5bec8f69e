// SPDX-License-Identifier: GPL-2.0-or-later

/// The `customers:` section (docs/config.md §customers): how calling numbers
/// and numbers in customer files become the E.164 key of the customer table.
public struct CustomerSettings: Sendable, Equatable {
    /// E.164 country code (`country_code`), e.g. `49`; empty: not configured.
    public var countryCode: String
    /// Local area code without the national prefix (`area_code`).
    public var areaCode: String
    /// `national_prefix`, default `0`.
    public var nationalPrefix: String
    /// `international_prefix`, default `00`.
    public var internationalPrefix: String
    /// `national_number_length`: digits of a national number when fixed (10 in NANP).
    public var nationalNumberLength: Int?

    public init(countryCode: String = "", areaCode: String = "", nationalPrefix: String = "0",
                internationalPrefix: String = "00", nationalNumberLength: Int? = nil) {
        self.countryCode = countryCode
        self.areaCode = areaCode
        self.nationalPrefix = nationalPrefix
        self.internationalPrefix = internationalPrefix
        self.nationalNumberLength = nationalNumberLength
    }

    /// The normaliser these settings describe.
    public var normaliser: NumberNormaliser {
        NumberNormaliser(countryCode: countryCode, areaCode: areaCode, nationalPrefix: nationalPrefix,
                         internationalPrefix: internationalPrefix, nationalNumberLength: nationalNumberLength)
    }
}

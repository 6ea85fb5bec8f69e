// SPDX-License-Identifier: GPL-2.0-or-later

/// The `customers:` section (docs/config.md §customers): how calling numbers
/// and numbers in customer files become the E.164 key of the customer table.
/// Its keys are exactly the normaliser's settings (`country_code`,
/// `area_code`, `national_prefix`, `international_prefix`,
/// `national_number_length`), so the section is the normaliser itself.
public typealias CustomerSettings = NumberNormaliser

extension NumberNormaliser {
    /// The normaliser these settings describe (they are one and the same).
    public var normaliser: NumberNormaliser { self }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

extension ConfigLoader {
    static let customerKeys = ["country_code", "area_code", "national_prefix", "international_prefix", "national_number_length"]

    /// `customers: {country_code, area_code, national_prefix, international_prefix, national_number_length}`.
    static func parseCustomers(_ node: Node, _ r: YAMLReader) throws(ConfigError) -> CustomerSettings {
        let m = try r.mapping(node, "customers", allowed: customerKeys)
        var c = CustomerSettings()
        func code(_ key: String, _ lengths: ClosedRange<Int>, _ what: String) throws(ConfigError) -> String? {
            guard let v = m[key] else { return nil }
            let path = "customers.\(key)"
            let s = try r.string(v.value, path)
            guard s.allSatisfy(\.isASCIIDigit), lengths.contains(s.count) else {
                throw r.error(v.value, path, "'\(s)' is not \(what) (\(lengths.lowerBound)–\(lengths.upperBound) digits; quote it to keep leading zeros)")
            }
            return s
        }
        if let s = try code("country_code", 1...3, "a country code") {
            guard !s.hasPrefix("0") else {
                throw r.error(m["country_code"]?.value, "customers.country_code", "'\(s)': a country code never starts with 0 (e.g. 49, 44, 1)")
            }
            c.countryCode = s
        }
        if let s = try code("national_prefix", 0...2, "a national prefix") { c.nationalPrefix = s }
        if let s = try code("international_prefix", 1...4, "an international prefix") { c.internationalPrefix = s }
        if let s = try code("area_code", 0...6, "an area code") {
            if !c.nationalPrefix.isEmpty, s.hasPrefix(c.nationalPrefix) {
                throw r.error(m["area_code"]?.value, "customers.area_code",
                              "'\(s)' starts with the national prefix '\(c.nationalPrefix)'; write the area code without it ('\(s.dropFirst(c.nationalPrefix.count))')")
            }
            c.areaCode = s
        }
        if let v = m["national_number_length"] {
            c.nationalNumberLength = try r.int(v.value, "customers.national_number_length", range: 4...14)
        }
        if !c.nationalPrefix.isEmpty, c.internationalPrefix == c.nationalPrefix {
            throw r.error(m["international_prefix"]?.value ?? m["national_prefix"]?.value, "customers.international_prefix",
                          "the international prefix '\(c.internationalPrefix)' is the national prefix too")
        }
        return c
    }
}

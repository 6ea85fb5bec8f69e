// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Testing

/// Calling numbers to E.164: by the Q.931 type of number, and by prefix when unknown.
@Suite struct NumberNormaliserTests {
    /// Germany, Berlin: 0 national, 00 international.
    static let berlin = NumberNormaliser(countryCode: "49", areaCode: "30", nationalPrefix: "0", internationalPrefix: "00")
    /// NANP, San Francisco: 1 national, 011 international, 10-digit national numbers.
    static let sanFrancisco = NumberNormaliser(countryCode: "1", areaCode: "415", nationalPrefix: "1",
                                               internationalPrefix: "011", nationalNumberLength: 10)
    /// UK, London.
    static let london = NumberNormaliser(countryCode: "44", areaCode: "20", nationalPrefix: "0", internationalPrefix: "00")

    struct Case: Sendable, CustomTestStringConvertible {
        var normaliser: NumberNormaliser
        var digits: String
        var plan: Int
        var e164: String
        var testDescription: String { "\(digits) plan 0x\(String(plan, radix: 16)) → \(e164)" }
    }

    static let cases: [Case] = [
        // International ISDN (0x11): as is.
        Case(normaliser: berlin, digits: "442079460018", plan: 0x11, e164: "442079460018"),
        Case(normaliser: sanFrancisco, digits: "4930123456", plan: 0x11, e164: "4930123456"),
        // National (0x21): the country code in front; a national prefix sent anyway is removed.
        Case(normaliser: berlin, digits: "891234567", plan: 0x21, e164: "49891234567"),
        Case(normaliser: berlin, digits: "0891234567", plan: 0x21, e164: "49891234567"),
        Case(normaliser: sanFrancisco, digits: "2125550100", plan: 0x21, e164: "12125550100"),
        Case(normaliser: london, digits: "1614960000", plan: 0x21, e164: "441614960000"),
        // Subscriber (0x41): country and area code.
        Case(normaliser: berlin, digits: "1234567", plan: 0x41, e164: "49301234567"),
        Case(normaliser: sanFrancisco, digits: "5550100", plan: 0x41, e164: "14155550100"),
        Case(normaliser: london, digits: "79460018", plan: 0x41, e164: "442079460018"),
        // Unknown (0x01, 0x00): by the prefix.
        Case(normaliser: berlin, digits: "00442079460018", plan: 0x01, e164: "442079460018"),
        Case(normaliser: berlin, digits: "0891234567", plan: 0x01, e164: "49891234567"),
        Case(normaliser: berlin, digits: "1234567", plan: 0x00, e164: "49301234567"),
        Case(normaliser: sanFrancisco, digits: "011442079460018", plan: 0x01, e164: "442079460018"),
        Case(normaliser: sanFrancisco, digits: "12125550100", plan: 0x01, e164: "12125550100"),
        Case(normaliser: sanFrancisco, digits: "2125550100", plan: 0x01, e164: "12125550100"),  // 10 digits: national
        Case(normaliser: sanFrancisco, digits: "5550100", plan: 0x01, e164: "14155550100"),
        Case(normaliser: london, digits: "02079460018", plan: 0x01, e164: "442079460018"),
        // Private plan (extensions): kept.
        Case(normaliser: berlin, digits: "2001", plan: 0x49, e164: "2001"),
        // A '+' is international whatever the type says.
        Case(normaliser: berlin, digits: "+442079460018", plan: 0x21, e164: "442079460018"),
    ]

    @Test(arguments: cases) func received(_ c: Case) {
        #expect(c.normaliser.normalise(digits: c.digits, plan: c.plan) == c.e164)
    }

    @Test func typedNumbers() {
        let b = Self.berlin, sf = Self.sanFrancisco
        #expect(b.normalise("+44 20 7946 0018") == "442079460018")
        #expect(b.normalise("0049 (30) 123-456") == "4930123456")
        #expect(b.normalise("030 123456") == "4930123456")
        #expect(b.normalise(" 123456 ") == "4930123456")
        #expect(sf.normalise("(415) 555-0100") == "14155550100")
        #expect(sf.normalise("1-212-555-0100") == "12125550100")
        #expect(sf.normalise("+1 212 555 0100") == "12125550100")
        #expect(b.normalise("12a4") == nil)
        #expect(b.normalise("+") == nil)
        #expect(b.normalise("") == nil)
    }

    @Test func withoutACountryCodeNumbersStayNational() {
        let n = NumberNormaliser()
        #expect(n.normalise(digits: "0301234567", plan: 0x01) == "301234567")
        #expect(n.normalise(digits: "004930123", plan: 0x01) == "4930123")
    }
}

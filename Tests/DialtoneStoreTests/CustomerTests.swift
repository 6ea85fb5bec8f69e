// SPDX-License-Identifier: GPL-2.0-or-later
// Customers in a real SQLite file: CSV in and out (RFC 4180), bad rows by
// line and column, lookup by a calling number as it arrives.
import DialtoneConfig
@testable import DialtoneStore
import Foundation
import Testing

@Suite struct CustomerTests {
    typealias TempDir = StoreTests.TempDir
    static let berlin = NumberNormaliser(countryCode: "49", areaCode: "30", nationalPrefix: "0", internationalPrefix: "00")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let file = "number,name,grade,notes,agent,account,region\r\n"
        + "+44 20 7946 0018,\"Smith, Jane\",A,\"VIP\r\nsays \"\"hi\"\"\",1001,ACC-1,\r\n"
        + "030 123456,Müller GmbH,B,,sales-team,ACC-2,north\r\n"
        + "\r\n"
        + "0891234567,Plain,,\"multi\nline\nnotes\",,,\r\n"

    @Test func csvIsReadWithQuotesCommasAndLineBreaks() throws {
        let r = try CustomerCSV.read(Self.file, normaliser: Self.berlin, now: Self.now)
        #expect(r.skipped.isEmpty)
        #expect(r.customers.map(\.number) == ["442079460018", "4930123456", "49891234567"])
        let jane = r.customers[0]
        #expect(jane.name == "Smith, Jane" && jane.grade == "A" && jane.agent == "1001")
        #expect(jane.notes == "VIP\r\nsays \"hi\"")
        #expect(jane.fields == ["account": "ACC-1"])  // an empty free field is left out
        #expect(r.customers[1].fields == ["account": "ACC-2", "region": "north"])
        #expect(r.customers[2].notes == "multi\nline\nnotes")
    }

    @Test func exportedAndImportedAgainIsTheSame() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("c.sqlite"))
        let first = try CustomerCSV.read(Self.file, normaliser: Self.berlin, now: Self.now).customers
        try store.upsert(first)
        let exported = CustomerCSV.write(try store.customers())
        #expect(exported.hasPrefix("number,name,grade,notes,agent,account,region\r\n+442079460018,\"Smith, Jane\",A,\"VIP\r\nsays \"\"hi\"\"\",1001,ACC-1,\r\n"))
        let again = try CustomerCSV.read(exported, normaliser: Self.berlin, now: Self.now).customers
        #expect(again == (try store.customers()))
        #expect(again.sorted { $0.number < $1.number } == first.sorted { $0.number < $1.number })
    }

    @Test func aBadRowIsReportedWithItsLineAndColumn() throws {
        // Line 4 starts a record whose quoted notes span lines 4–5; the bad number is on line 6.
        let bad = "number,name,grade,notes\n+4930111,A,,\n+4930222,B,,\n+4930333,C,,\"two\nlines\"\n12-ab,D,,\n+4930555,E,,\n"
        do {
            _ = try CustomerCSV.read(bad, normaliser: Self.berlin)
            Issue.record("no error")
        } catch {
            #expect(error.line == 6 && error.column == 1 && error.columnName == "number", "\(error)")
            #expect(error.description.hasPrefix("line 6: column 1 (number): '12-ab' is not a phone number"), "\(error)")
        }
        let skipping = try CustomerCSV.read(bad, normaliser: Self.berlin, skipBad: true)
        #expect(skipping.customers.map(\.name) == ["A", "B", "C", "E"])
        #expect(skipping.skipped.map(\.line) == [6])

        func problem(_ text: String) -> CustomerCSV.Problem? {
            do { _ = try CustomerCSV.read(text, normaliser: Self.berlin); return nil } catch { return error }
        }
        #expect(problem("number,grade\n+4930111,A\n+4930111,B\n")?.description == "line 3: column 1 (number): +4930111 is already on line 2")
        #expect(problem("number,grade\n+4930111,very long grade\n")?.column == 2)
        #expect(problem("number,name\n+4930111,a,b\n")?.description.contains("3 fields, but the header has 2 columns") == true)
        #expect(problem("name\nx\n")?.message.contains("no 'number' column") == true)
        #expect(problem("number,name\n+4930111,\"open\n\n") == CustomerCSV.Problem(
            line: 2, column: 2, columnName: "", message: "a quoted field opened on line 2 is never closed"))
        #expect(problem("number,name\n+4930111,ab\"c\n")?.line == 2)
        #expect(problem("") != nil)
    }

    @Test func aCallerIsFoundByTheNumberAsItArrives() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("c.sqlite"))
        try store.upsert(Customer(number: "4930123456", name: "Müller", grade: "A", agent: "sales-team", fields: ["k": "v"], updated: Self.now))
        // Subscriber, national and unknown-with-prefix forms of the same number.
        for (digits, plan) in [("123456", 0x41), ("30123456", 0x21), ("030123456", 0x01), ("004930123456", 0x01)] {
            #expect(try store.lookup(number: digits, plan: plan, using: Self.berlin)?.name == "Müller", "\(digits)")
        }
        #expect(try store.lookup(number: "999", plan: 0x41, using: Self.berlin) == nil)
        #expect(try store.customer(number: "4930123456")?.fields == ["k": "v"])
        // Upsert replaces; delete removes; paging is by number.
        try store.upsert(Customer(number: "4930123456", name: "Müller AG", updated: Self.now))
        try store.upsert((0..<5).map { Customer(number: "4940\($0)", name: "n\($0)", updated: Self.now) })
        #expect(try store.customer(number: "4930123456")?.name == "Müller AG")
        #expect(try store.customerCount() == 6)
        #expect(try store.customers(limit: 2, offset: 1).map(\.number) == ["49400", "49401"])
        #expect(try store.deleteCustomer(number: "49400") && !(try store.deleteCustomer(number: "49400")))
        #expect(try store.customerCount() == 5)
    }
}

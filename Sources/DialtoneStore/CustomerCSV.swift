// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Foundation

/// Customer files in CSV (RFC 4180: fields separated by commas, records by
/// CRLF or LF, fields with commas, quotes or line breaks in double quotes,
/// a quote doubled inside them). The first record is the header: `number`
/// is required; `name`, `grade`, `notes` and `agent` are the customer's
/// columns; any other column becomes a free field. Numbers are normalised
/// by ``NumberNormaliser/normalise(_:)`` (write `+` for international).
/// Export writes E.164 numbers with `+`, so a file exported and imported
/// again gives the same customers.
public enum CustomerCSV {
    /// The fixed columns, in export order.
    public static let columns = ["number", "name", "grade", "notes", "agent"]

    /// What is wrong with a record: its (first) line in the file, the column and why.
    public struct Problem: Error, CustomStringConvertible, Equatable, Sendable {
        /// 1-based line where the record (or the bad field) starts.
        public var line: Int
        /// 1-based column number, 0 when the record as a whole is wrong.
        public var column: Int
        /// The column's header name, when known.
        public var columnName: String
        public var message: String

        public var description: String {
            let where_ = column == 0 ? "" : " column \(column)\(columnName.isEmpty ? "" : " (\(columnName))"):"
            return "line \(line):\(where_) \(message)"
        }
    }

    /// The customers read, and the records skipped (only with `skipBad`).
    public struct Result: Sendable {
        public var customers: [Customer]
        public var skipped: [Problem]
    }

    /// Reads a customer file. The first bad record throws its ``Problem``,
    /// unless `skipBad`: then bad records are left out and listed in
    /// `skipped`. A file that is not CSV (a quote never closed) always throws.
    public static func read(_ text: String, normaliser: NumberNormaliser, skipBad: Bool = false,
                            now: Date = Date()) throws(Problem) -> Result {
        let records = try CSVRecords.parse(text)
        guard let header = records.first else {
            throw Problem(line: 1, column: 0, columnName: "", message: "the file is empty; it needs a header row with 'number'")
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for (i, n) in names.enumerated() {
            if n.isEmpty { throw Problem(line: header.line, column: i + 1, columnName: "", message: "a header with no name") }
            if names[..<i].contains(n) {
                throw Problem(line: header.line, column: i + 1, columnName: n, message: "column '\(n)' appears twice in the header")
            }
        }
        guard let numberColumn = names.firstIndex(of: "number") else {
            throw Problem(line: header.line, column: 0, columnName: "",
                          message: "the header has no 'number' column (columns: \(names.joined(separator: ", ")))")
        }
        var out: [Customer] = []
        var skipped: [Problem] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            do throws(Problem) {
                let c = try customer(record, names: names, numberColumn: numberColumn, normaliser: normaliser, now: now)
                if let first = seen[c.number] {
                    throw Problem(line: record.line, column: numberColumn + 1, columnName: "number",
                                  message: "+\(c.number) is already on line \(first)")
                }
                seen[c.number] = record.line
                out.append(c)
            } catch {
                guard skipBad else { throw error }
                skipped.append(error)
            }
        }
        return Result(customers: out, skipped: skipped)
    }

    private static func customer(_ record: CSVRecords.Record, names: [String], numberColumn: Int,
                                 normaliser: NumberNormaliser, now: Date) throws(Problem) -> Customer {
        func problem(_ column: Int, _ message: String) -> Problem {
            Problem(line: record.line, column: column + 1, columnName: column < names.count ? names[column] : "", message: message)
        }
        guard record.fields.count <= names.count else {
            throw problem(names.count, "\(record.fields.count) fields, but the header has \(names.count) columns")
        }
        let raw = numberColumn < record.fields.count ? record.fields[numberColumn] : ""
        guard !raw.trimmingCharacters(in: .whitespaces).isEmpty else { throw problem(numberColumn, "no number") }
        guard let number = normaliser.normalise(raw) else {
            throw problem(numberColumn, "'\(raw)' is not a phone number (digits, optionally + and spaces, dashes, parentheses)")
        }
        guard number.count <= 15 else { throw problem(numberColumn, "'\(raw)' is +\(number): longer than E.164's 15 digits") }
        var c = Customer(number: number, updated: now)
        for (i, value) in record.fields.enumerated() where i != numberColumn {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            switch names[i] {
            case "name": c.name = trimmed
            case "notes": c.notes = value
            case "agent": c.agent = trimmed
            case "grade":
                guard trimmed.count <= 8, trimmed.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                    throw problem(i, "'\(value)' is not a grade (up to 8 letters or digits, e.g. A)")
                }
                c.grade = trimmed
            default:
                if !value.isEmpty { c.fields[names[i]] = value }
            }
        }
        return c
    }

    /// The customers as CSV: the fixed columns, then every free field's
    /// name (sorted) as a column; CRLF line ends; numbers as `+E164`.
    public static func write(_ customers: [Customer]) -> String {
        let extra = Set(customers.flatMap(\.fields.keys)).subtracting(columns).sorted()
        var out = (columns + extra).map(quote).joined(separator: ",") + "\r\n"
        for c in customers {
            let row = ["+" + c.number, c.name, c.grade, c.notes, c.agent] + extra.map { c.fields[$0] ?? "" }
            out += row.map(quote).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// A field, quoted when it holds a comma, quote, line break or edge space.
    static func quote(_ field: String) -> String {
        let needs = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
            || field.hasPrefix(" ") || field.hasSuffix(" ")
        guard needs else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

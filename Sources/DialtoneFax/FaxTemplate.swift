// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A personal document's text with `{placeholder}` fields, filled from the
/// caller's customer record when the document is ordered. `{{` and `}}`
/// stand for literal braces.
public struct FaxTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        case field(String)
    }

    public var parts: [Part]

    /// Customer fields every record has (`CustomerRecord.callData` in DialtoneApps).
    public static let customerFields = ["customer.number", "customer.name", "customer.grade", "customer.notes", "customer.agent"]
    /// Fields of the order itself.
    public static let orderFields = ["date", "time", "caller.number", "document.number", "document.name", "keyed"]
    public static var knownFields: [String] { customerFields + orderFields }

    /// A template problem: what and where (1-based line of the template text).
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses `text`; an unclosed `{` or an empty `{}` is a problem.
    public static func parse(_ text: String) -> Result<FaxTemplate, Problem> {
        var parts: [Part] = []
        var literal = ""
        var line = 1
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "{", next < text.endIndex, text[next] == "{" { literal.append("{"); i = text.index(after: next); continue }
            if c == "}", next < text.endIndex, text[next] == "}" { literal.append("}"); i = text.index(after: next); continue }
            if c.isNewline { line += 1 }
            if c == "{" {
                guard let close = text[next...].firstIndex(where: { $0 == "}" || $0.isNewline || $0 == "{" }), text[close] == "}" else {
                    return .failure(Problem(line: line, message: "'{' without a closing '}' on the same line (write '{{' for a brace)"))
                }
                let name = text[next..<close].trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }) else {
                    return .failure(Problem(line: line, message: "'{\(name)}' is not a field name (letters, digits, '.', '_', '-')"))
                }
                if !literal.isEmpty { parts.append(.text(literal)); literal = "" }
                parts.append(.field(name))
                i = text.index(after: close)
                continue
            }
            if c == "}" { return .failure(Problem(line: line, message: "'}' without an opening '{' (write '}}' for a brace)")) }
            literal.append(c)
            i = next
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return .success(FaxTemplate(parts: parts))
    }

    /// Every field used, in order of first use.
    public var fields: [String] {
        var seen = Set<String>()
        return parts.compactMap { if case .field(let f) = $0, seen.insert(f).inserted { f } else { nil } }
    }

    /// Fields a customer file may or may not have (`customer.account`): any
    /// `customer.X` beyond the fixed ones. Checked at render time only.
    public var freeFields: [String] { fields.filter { $0.hasPrefix("customer.") && !Self.customerFields.contains($0) } }

    /// The first field that is surely a mistake, with a suggestion: not a
    /// known field nor `customer.X`, or a `customer.X` one typo away from a fixed field.
    public func unknownField() -> (field: String, suggestion: String?)? {
        for f in fields where !Self.knownFields.contains(f) {
            if f.hasPrefix("customer."), f.count > "customer.".count {
                let near = Self.closest(f, in: Self.customerFields)
                if let near, near != f { return (f, near) }
                continue
            }
            return (f, Self.closest(f, in: Self.knownFields))
        }
        return nil
    }

    /// The text with each field's value; a field without one is left empty and listed.
    public func render(_ values: [String: String]) -> (text: String, missing: [String]) {
        var out = ""
        var missing: [String] = []
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .field(let f):
                if let v = values[f] { out += v } else if !missing.contains(f) { missing.append(f) }
            }
        }
        return (out, missing)
    }

    /// Close enough to be a typo: edit distance ≤ 2.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let old = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = old
                }
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        let best = candidates.map { ($0, distance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2 else { return nil }
        return best.0
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

/// Walks a composed YAML document and reports problems with file, line,
/// column and the dotted key path (`spans[1].switchtype`).
struct YAMLReader {
    let file: String

    func error(_ node: Node?, _ key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, key: key, message: message)
    }

    /// True for an empty value, `~` or `null` (unquoted).
    static func isNull(_ node: Node) -> Bool { node.null != nil }

    /// A mapping's entries, rejecting keys not in `allowed` (with a suggestion).
    /// An empty value (`daemon:` with nothing under it) is an empty mapping.
    func mapping(_ node: Node, _ path: String, allowed: [String]) throws(ConfigError) -> [String: (key: Node, value: Node)] {
        if YAMLReader.isNull(node) { return [:] }
        guard case .mapping(let m) = node else {
            throw error(node, path.isEmpty ? "(top level)" : path, "expected a mapping of keys (\(allowed.joined(separator: ", "))), got \(describe(node))")
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in m {
            guard case .scalar(let scalar) = k else { throw error(k, path, "keys must be plain strings") }
            let name = scalar.string
            let full = path.isEmpty ? name : "\(path).\(name)"
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)'"
                if let near = YAMLReader.closest(name, in: allowed) { message += "; did you mean '\(near)'?" }
                message += " (allowed: \(allowed.joined(separator: ", ")))"
                throw error(k, full, message)
            }
            if out[name] != nil { throw error(k, full, "key '\(name)' appears twice") }
            out[name] = (k, v)
        }
        return out
    }

    /// A scalar's text. An empty value is an error (say `""` for an empty string).
    func string(_ node: Node, _ path: String) throws(ConfigError) -> String {
        guard case .scalar(let s) = node else { throw error(node, path, "expected a string, got \(describe(node))") }
        guard !YAMLReader.isNull(node) else { throw error(node, path, "expected a string, got an empty value") }
        return s.string
    }

    /// An integer within `range` (every number in the configuration has one;
    /// docs/config.md lists them).
    func int(_ node: Node, _ path: String, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .scalar = node, !YAMLReader.isNull(node), let v = node.int else {
            throw error(node, path, "expected an integer, got \(describe(node))")
        }
        guard range.contains(v) else { throw error(node, path, "\(v) is out of range \(range.lowerBound)…\(range.upperBound)") }
        return v
    }

    /// A finite number within `range` (NaN and infinities are not numbers here);
    /// `unit` names it in messages (`seconds`).
    func double(_ node: Node, _ path: String, range: ClosedRange<Double>, unit: String = "") throws(ConfigError) -> Double {
        guard case .scalar = node, !YAMLReader.isNull(node), let v = node.float, v.isFinite else {
            throw error(node, path, "expected a number, got \(describe(node))")
        }
        guard range.contains(v) else {
            throw error(node, path, "\(v.shortText) is out of range \(range.lowerBound.shortText)…\(range.upperBound.shortText)"
                                    + (unit.isEmpty ? "" : " \(unit)"))
        }
        return v
    }

    func bool(_ node: Node, _ path: String) throws(ConfigError) -> Bool {
        guard case .scalar = node, !YAMLReader.isNull(node), let v = node.bool else {
            throw error(node, path, "expected true or false, got \(describe(node))")
        }
        return v
    }

    /// One of an enum's raw values (case-insensitive by default).
    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ path: String, _ type: T.Type,
                                                    caseInsensitive: Bool = true) throws(ConfigError) -> T where T.RawValue == String {
        let raw = try string(node, path)
        if let v = T.allCases.first(where: { caseInsensitive ? $0.rawValue.lowercased() == raw.lowercased() : $0.rawValue == raw }) {
            return v
        }
        throw error(node, path, "'\(raw)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// A list's items. An empty value is an empty list.
    func sequence(_ node: Node, _ path: String) throws(ConfigError) -> [Node] {
        if YAMLReader.isNull(node) { return [] }
        guard case .sequence(let s) = node else { throw error(node, path, "expected a list, got \(describe(node))") }
        return Array(s)
    }

    /// How a node reads in a message: `'J1'`, `a list`, `a mapping`, `an empty value`.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): YAMLReader.isNull(node) ? "an empty value" : "'\(s.string)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }

    /// Levenshtein-closest candidate, if it is close enough to be a typo.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            if a.isEmpty { return b.count }
            if b.isEmpty { return a.count }
            var row = Array(0...b.count)
            for i in 1...a.count {
                var prev = row[0]
                row[0] = i
                for j in 1...b.count {
                    let old = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = old
                }
            }
            return row[b.count]
        }
        let w = Array(word.lowercased())
        let best = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }
}

extension Double {
    /// `10` rather than `10.0` in messages.
    var shortText: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

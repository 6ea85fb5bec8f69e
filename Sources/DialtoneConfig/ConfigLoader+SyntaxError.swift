// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

extension ConfigLoader {
    /// A Yams error as a ``ConfigError`` at the place libyaml reported (1-based).
    static func syntaxError(_ e: YamlError, yaml: String, file: String) -> ConfigError {
        func at(_ line: Int, _ column: Int, _ message: String) -> ConfigError {
            ConfigError(file: file, line: line, column: column, key: "(yaml)", message: message)
        }
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var what = "YAML syntax error: \(problem)"
            if let context { what += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return at(mark.line, mark.column, what)
        case .reader(let problem, let offset, _, _):
            let (line, column) = offset.map { position(ofCharacter: $0, in: yaml) } ?? (0, 0)
            return at(line, column, "unreadable text: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams marks the first occurrence; point at the repeat, which is the mistake.
            let key = duplicates.first ?? "?"
            let (line, column) = repeatOf(key: key, after: context.mark, in: yaml) ?? (context.mark.line, context.mark.column)
            return ConfigError(file: file, line: line, column: column, key: key,
                               message: "key '\(key)' appears twice in the same mapping")
        default:
            return at(0, 0, "YAML error: \(e)")
        }
    }

    /// 1-based line and column of the character at `offset`.
    static func position(ofCharacter offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for ch in text.prefix(offset) {
            if ch == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// The next line after `mark` that has `key:` at the same column.
    static func repeatOf(key: String, after mark: Mark, in text: String) -> (Int, Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line < lines.count else { return nil }
        for index in mark.line..<lines.count {
            let rest = lines[index].unicodeScalars.dropFirst(mark.column - 1)
            let s = String(String.UnicodeScalarView(rest))
            if s.hasPrefix("\(key):") || s.hasPrefix("\"\(key)\":") || s.hasPrefix("'\(key)':") {
                return (index + 1, mark.column)
            }
        }
        return nil
    }
}

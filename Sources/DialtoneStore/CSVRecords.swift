// SPDX-License-Identifier: GPL-2.0-or-later

/// An RFC 4180 reader that keeps each record's first line number (records
/// may span lines inside quotes). Blank lines are skipped; a UTF-8 byte
/// order mark is ignored.
enum CSVRecords {
    struct Record: Equatable {
        /// 1-based line where the record starts.
        var line: Int
        var fields: [String]
    }

    static func parse(_ text: String) throws(CustomerCSV.Problem) -> [Record] {
        let s = Array(text.unicodeScalars)
        var i = s.first == "\u{FEFF}" ? 1 : 0
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1, recordLine = 1, quoteLine = 1
        var inQuotes = false, quoted = false
        func fail(_ at: Int, _ message: String) -> CustomerCSV.Problem {
            CustomerCSV.Problem(line: at, column: fields.count + 1, columnName: "", message: message)
        }
        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            quoted = false
        }
        func endRecord() {
            endField()
            if fields != [""] { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while i < s.count {
            let c = s[i]
            i += 1
            if inQuotes {
                if c == "\"" {
                    if i < s.count, s[i] == "\"" { field.append("\""); i += 1 } else { inQuotes = false; quoted = true }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case ",":
                endField()
            case "\r", "\n":
                if c == "\r", i < s.count, s[i] == "\n" { i += 1 }
                endRecord()
                line += 1
                recordLine = line
            case "\"":
                guard field.isEmpty, !quoted else {
                    throw fail(line, "a quote inside a field that does not start with one (quote the whole field and double the quote)")
                }
                inQuotes = true
                quoteLine = line
            default:
                if quoted { throw fail(line, "text after the closing quote of a field") }
                field.append(c)
            }
        }
        if inQuotes { throw fail(quoteLine, "a quoted field opened on line \(quoteLine) is never closed") }
        if !field.isEmpty || !fields.isEmpty || quoted { endRecord() }
        return records
    }
}

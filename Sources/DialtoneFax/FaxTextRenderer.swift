// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Sets plain text as fax pages: PostScript in Courier (a form feed or
/// every ``linesPerPage`` lines starts a page; long lines wrap), then
/// ghostscript to a 1728-pixel-wide TIFF G4, validated like a catalogue file.
public enum FaxTextRenderer {
    public static let columns = 80
    public static let linesPerPage = 60

    /// The PostScript for `text` (Latin-1 where it can, `?` otherwise).
    public static func postScript(_ text: String) -> String {
        var pages: [[String]] = [[]]
        for (i, chunk) in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\u{0C}", omittingEmptySubsequences: false).enumerated() {
            if i > 0 { pages.append([]) }
            for raw in chunk.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = raw.replacingOccurrences(of: "\t", with: "    ")
                repeat {
                    if pages[pages.count - 1].count == linesPerPage { pages.append([]) }
                    pages[pages.count - 1].append(String(line.prefix(columns)))
                    line = String(line.dropFirst(columns))
                } while !line.isEmpty
            }
        }
        if pages.count > 1, pages.last?.allSatisfy({ $0.isEmpty }) == true { pages.removeLast() }
        var ps = "%!PS-Adobe-3.0\n%%Pages: \(pages.count)\n<< /PageSize [595 842] >> setpagedevice\n"
        ps += "/Courier findfont dup length dict begin { 1 index /FID ne { def } { pop pop } ifelse } forall\n"
        ps += "/Encoding ISOLatin1Encoding def currentdict end /CourierL exch definefont pop\n"
        for (n, lines) in pages.enumerated() {
            ps += "%%Page: \(n + 1) \(n + 1)\n/CourierL findfont 11 scalefont setfont\n"
            for (i, l) in lines.enumerated() where !l.isEmpty {
                ps += "56 \(800 - i * 12) moveto (\(escape(l))) show\n"
            }
            ps += "showpage\n"
        }
        return ps + "%%EOF\n"
    }

    /// A PostScript string literal's body: backslash, parentheses escaped, non-Latin-1 as `?`.
    static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\", "(", ")": out += "\\" + String(u)
            case _ where u.value < 0x20: out += " "
            case _ where u.value < 0x7F: out.unicodeScalars.append(u)
            case _ where u.value >= 0xA0 && u.value <= 0xFF: out += "\\" + String(u.value, radix: 8)
            default: out += "?"
            }
        }
        return out
    }

    /// Renders `text` into the TIFF `output`; returns its page count.
    public static func render(_ text: String, to output: String) -> Result<Int, FaxDocumentError> {
        let ps = output + ".ps"
        do {
            try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try postScript(text).write(toFile: ps, atomically: true, encoding: .isoLatin1)
        } catch {
            return .failure(FaxDocumentError(path: ps, message: "cannot write: \(error.localizedDescription)"))
        }
        defer { try? FileManager.default.removeItem(atPath: ps) }
        if case .failure(let e) = FaxTools.convertToFaxTIFF(ps, output: output) { return .failure(e) }
        return FaxTIFF.validate(output).map(\.pages.count)
    }
}

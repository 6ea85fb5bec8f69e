// SPDX-License-Identifier: GPL-2.0-or-later
// Fax documents with the real tools: ghostscript converts, libtiff reads,
// tiff2pdf exports. T.30 codes are checked against SpanDSP's own enum.
import CSpanDSP
@testable import DialtoneFax
import Foundation
import Testing

/// A directory removed at the end of the test.
final class FaxTempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "fax-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { "\(path)/\(name)" }
}

enum FaxSamples {
    /// A 3-page PDF made by ghostscript from PostScript (letter size, not fax-shaped).
    static func pdf(_ dir: FaxTempDir, pages: Int = 3, name: String = "doc.pdf") throws -> String {
        let ps = dir.file(name + ".ps")
        var text = "%!PS\n/Helvetica findfont 24 scalefont setfont\n"
        for p in 1...pages { text += "72 700 moveto (Page \(p) of \(pages)) show 72 72 moveto 468 0 rlineto stroke showpage\n" }
        try text.write(toFile: ps, atomically: true, encoding: .utf8)
        let out = dir.file(name)
        let r = FaxTools.run("gs", ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-sOutputFile=\(out)", ps])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    /// A TIFF G4 of `width` pixels (ghostscript at 204 dpi).
    static func tiff(_ dir: FaxTempDir, width: Int, name: String) throws -> String {
        let ps = dir.file(name + ".ps")
        try "%!PS\n72 700 moveto /Helvetica findfont 20 scalefont setfont (x) show showpage\n".write(toFile: ps, atomically: true, encoding: .utf8)
        let out = dir.file(name)
        let r = FaxTools.run("gs", ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg4", "-r204x196", "-g\(width)x1000", "-sOutputFile=\(out)", ps])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }
}

@Suite struct FaxDocumentTests {
    @Test func aPDFBecomesA1728PixelFaxTIFFOnceAndIsReused() throws {
        let dir = FaxTempDir()
        let pdf = try FaxSamples.pdf(dir)
        let preparer = FaxDocumentPreparer(spool: dir.file("spool"))
        let first = try preparer.prepare(pdf).get()
        #expect(first.converted && first.pages == 3 && first.tiff.hasPrefix(dir.file("spool/documents/")))
        let info = try FaxTIFF.inspect(first.tiff).get()
        #expect(info.pages.count == 3)
        #expect(info.pages.allSatisfy { $0.width == 1728 && $0.length == 2292 && $0.bitsPerSample == 1 })
        #expect(info.pages.allSatisfy { $0.xResolution == 204 && $0.yResolution == 196 })
        // Cached: the same content is not converted again.
        let modified = try FileManager.default.attributesOfItem(atPath: first.tiff)[.modificationDate] as? Date
        let second = try preparer.prepare(pdf).get()
        #expect(second == first)
        #expect(try FileManager.default.attributesOfItem(atPath: first.tiff)[.modificationDate] as? Date == modified)
        // Another content, another file.
        let other = try preparer.prepare(try FaxSamples.pdf(dir, pages: 2, name: "two.pdf")).get()
        #expect(other.tiff != first.tiff && other.pages == 2)
    }

    @Test func wrongWidthsAndBrokenFilesAreNamed() throws {
        let dir = FaxTempDir()
        let preparer = FaxDocumentPreparer(spool: dir.file("spool"))
        let good = try FaxSamples.tiff(dir, width: 1728, name: "good.tif")
        #expect(try preparer.prepare(good).get() == PreparedFaxDocument(tiff: good, pages: 1, converted: false))
        let wide = try FaxSamples.tiff(dir, width: 2480, name: "a4-300dpi.tif")
        guard case .failure(let e) = preparer.prepare(wide) else { Issue.record("accepted a 2480-pixel page"); return }
        #expect(e.path == wide && e.message.contains("2480 pixels wide") && e.message.contains("1728"))
        // Cut short: libtiff's own complaint comes through.
        let data = try Data(contentsOf: URL(fileURLWithPath: good))
        let cut = dir.file("cut.tif")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        guard case .failure(let c) = preparer.prepare(cut) else { Issue.record("accepted a truncated TIFF"); return }
        #expect(c.path == cut)
        let text = dir.file("notes.tif")
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(preparer.prepare(text) == .failure(FaxDocumentError(path: text, message: "neither a TIFF nor a PDF file")))
        #expect(preparer.prepare(dir.file("missing.pdf")) == .failure(FaxDocumentError(path: dir.file("missing.pdf"), message: "no such file")))
        let badPDF = dir.file("bad.pdf")
        try "%PDF-1.4\ngarbage\n".write(toFile: badPDF, atomically: true, encoding: .utf8)
        guard case .failure(let b) = preparer.prepare(badPDF) else { Issue.record("accepted a broken PDF"); return }
        #expect(b.path == badPDF)
    }

    @Test func textIsRenderedToFaxPagesAndExportedAsPDF() throws {
        let dir = FaxTempDir()
        let long = (1...130).map { "Line \($0) (with parentheses) \\ and Müller" }.joined(separator: "\n")
        let out = dir.file("r/statement.tif")
        let pages = try FaxTextRenderer.render("Statement\u{0C}" + long, to: out).get()
        #expect(pages == 1 + 3)  // a form feed, then 130 lines at 60 a page
        #expect(try FaxTIFF.validate(out).get().pages.count == 4)
        try FaxTools.pdf(fromTIFF: out, output: dir.file("statement.pdf")).get()
        let pdf = try Data(contentsOf: URL(fileURLWithPath: dir.file("statement.pdf")))
        #expect(pdf.starts(with: Array("%PDF".utf8)))
        #expect(FaxTextRenderer.escape("a(b)\\é€") == "a\\(b\\)\\\\\\351?")
    }

    @Test func templatesFindFieldsAndMistakes() throws {
        let t = try FaxTemplate.parse("Dear {customer.name},\nAccount {customer.account} on {date}. {{literal}}").get()
        #expect(t.fields == ["customer.name", "customer.account", "date"])
        #expect(t.freeFields == ["customer.account"])
        #expect(t.unknownField() == nil)
        let r = t.render(["customer.name": "Jane", "date": "2026-12-01"])
        #expect(r.text == "Dear Jane,\nAccount  on 2026-12-01. {literal}")
        #expect(r.missing == ["customer.account"])
        #expect(try FaxTemplate.parse("{customer.nmae}").get().unknownField()! == ("customer.nmae", "customer.name"))
        #expect(try FaxTemplate.parse("{dat}").get().unknownField()! == ("dat", "date"))
        #expect(try FaxTemplate.parse("{balance}").get().unknownField()! == ("balance", nil))
        #expect(FaxTemplate.parse("a\nb {customer.name").failure?.line == 2)
        #expect(FaxTemplate.parse("x } y").failure?.line == 1)
        #expect(FaxTemplate.parse("a\r\nb\r\n{oops").failure?.line == 3)
    }

    @Test func t30CodesMatchSpanDSP() {
        #expect(T30Code.ok == Int(T30_ERR_OK))
        #expect(T30Code.incompatible == Int(T30_ERR_INCOMPATIBLE))
        #expect(T30Code.rxIncapable == Int(T30_ERR_RX_INCAPABLE))
        #expect(T30Code.txIncapable == Int(T30_ERR_TX_INCAPABLE))
        #expect(T30Code.noResSupport == Int(T30_ERR_NORESSUPPORT))
        #expect(T30Code.noSizeSupport == Int(T30_ERR_NOSIZESUPPORT))
        #expect(T30Code.fileError == Int(T30_ERR_FILEERROR))
        #expect(T30Code.noMem == Int(T30_ERR_NOMEM))
        #expect(T30Code.callDropped == Int(T30_ERR_CALLDROPPED))
        #expect(T30Code.identUnacceptable == Int(T30_ERR_IDENT_UNACCEPTABLE))
        #expect(T30Code.identUnacceptable + 10 == Int(T30_ERR_CSA_UNACCEPTABLE))
        // Line trouble is retried, a far end that cannot receive is not.
        #expect(FaxOutcome(call: .answered, t30Code: Int(T30_ERR_CANNOT_TRAIN)).isRetryable)
        #expect(FaxOutcome(call: .answered, t30Code: Int(T30_ERR_RX_T2EXPFAX)).isRetryable)
        #expect(!FaxOutcome(call: .answered, t30Code: Int(T30_ERR_NORESSUPPORT)).isRetryable)
        #expect(!FaxOutcome(call: .answered, t30Code: Int(T30_ERR_BADTIFF)).isRetryable)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}

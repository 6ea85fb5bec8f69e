// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import Foundation

/// Fax documents (TIFF-F) through libtiff: their pages, a check that a file
/// can be sent, a pixel comparison of what was sent with what arrived, and
/// conversions with Debian's tools (ghostscript: PDF → G4 TIFF; libtiff-tools:
/// `tiffcp` joins files, `tiff2pdf` makes a PDF). Off the media thread only.
public enum FaxDocument {
    /// The one width T.30 pages have here (A4/Letter at 8 dots/mm: SpanDSP 0.0.6 does not rescale).
    public static let pageWidth = 1728

    /// One page of a TIFF.
    public struct Page: Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// Dots per inch across and down (204×196 fine, 204×98 standard).
        public var xResolution: Double
        public var yResolution: Double
        /// Rows of the T.30 header line at this page's resolution (32 fine, 16 standard).
        public var headerRows: Int { yResolution > 150 ? 32 : 16 }
    }

    /// Every page's size and resolution.
    public static func pages(_ path: String) throws(FaxError) -> [Page] {
        try withTIFF(path) { tif throws(FaxError) in
            var out: [Page] = []
            repeat {
                var w: UInt32 = 0, h: UInt32 = 0, unit: UInt16 = 2
                var xr: Float = 0, yr: Float = 0
                guard CSpanDSP_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), &w) == 1,
                      CSpanDSP_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), &h) == 1
                else { throw .invalid("\(path): page \(out.count + 1) has no size") }
                _ = CSpanDSP_tiff_get_float(tif, UInt32(TIFFTAG_XRESOLUTION), &xr)
                _ = CSpanDSP_tiff_get_float(tif, UInt32(TIFFTAG_YRESOLUTION), &yr)
                _ = CSpanDSP_tiff_get_u16(tif, UInt32(TIFFTAG_RESOLUTIONUNIT), &unit)
                let scale = unit == 3 ? 2.54 : 1  // centimetres
                out.append(Page(width: Int(w), height: Int(h), xResolution: (Double(xr) * scale).rounded(),
                                yResolution: (Double(yr) * scale).rounded()))
            } while TIFFReadDirectory(tif) == 1
            return out
        }
    }

    /// Checks that a file can be faxed: a readable TIFF whose every page is
    /// 1728 pixels wide. Its pages; otherwise an error naming the file and page.
    @discardableResult
    public static func validateForSending(_ path: String) throws(FaxError) -> [Page] {
        guard FileManager.default.isReadableFile(atPath: path) else { throw .invalid("\(path): no such file or not readable") }
        let list = try pages(path)
        guard !list.isEmpty else { throw .invalid("\(path): no pages") }
        for (i, p) in list.enumerated() where p.width != pageWidth {
            throw .invalid("\(path): page \(i + 1) is \(p.width) pixels wide, a fax page is \(pageWidth)")
        }
        return list
    }

    /// A page as rows of bits, 1 = black (whatever the file's photometric interpretation).
    public struct Bitmap: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var rowBytes: Int
        public var bits: [UInt8]
        public func isBlack(_ x: Int, _ y: Int) -> Bool { bits[y * rowBytes + x / 8] & (0x80 >> UInt8(x % 8)) != 0 }
        /// Black pixels in rows `from..<to`.
        public func blackPixels(rows: Range<Int>) -> Int {
            var n = 0
            for y in rows { for k in 0..<rowBytes { n += bits[y * rowBytes + k].nonzeroBitCount } }
            return n
        }
    }

    /// Every page of a bilevel TIFF, decoded (G3, G4, uncompressed: libtiff).
    public static func bitmaps(_ path: String) throws(FaxError) -> [Bitmap] {
        try withTIFF(path) { tif throws(FaxError) in
            var out: [Bitmap] = []
            repeat {
                var w: UInt32 = 0, h: UInt32 = 0, photometric: UInt16 = 0, bps: UInt16 = 1
                _ = CSpanDSP_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), &w)
                _ = CSpanDSP_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), &h)
                _ = CSpanDSP_tiff_get_u16(tif, UInt32(TIFFTAG_PHOTOMETRIC), &photometric)
                _ = CSpanDSP_tiff_get_u16(tif, UInt32(TIFFTAG_BITSPERSAMPLE), &bps)
                guard bps == 1 else { throw .invalid("\(path): page \(out.count + 1) is not bilevel") }
                let rowBytes = Int(TIFFScanlineSize(tif))
                var bits = [UInt8](repeating: 0, count: rowBytes * Int(h))
                let invert = photometric == UInt16(PHOTOMETRIC_MINISBLACK)
                let ok = bits.withUnsafeMutableBytes { buf -> Bool in
                    for y in 0..<Int(h) where TIFFReadScanline(tif, buf.baseAddress! + y * rowBytes, UInt32(y), 0) < 0 { return false }
                    return true
                }
                guard ok else { throw .invalid("\(path): page \(out.count + 1) cannot be decoded") }
                if invert { for i in bits.indices { bits[i] = ~bits[i] } }
                out.append(Bitmap(width: Int(w), height: Int(h), rowBytes: rowBytes, bits: bits))
            } while TIFFReadDirectory(tif) == 1
            return out
        }
    }

    /// How a received document compares with the one sent, page by page.
    public struct Comparison: Sendable, CustomStringConvertible {
        public var sentPages: Int
        public var receivedPages: Int
        /// Per page: pixels that differ below the header line (and rows missing or extra).
        public var differingPixels: [Int]
        /// Per page: black pixels compared (a blank comparison proves nothing).
        public var blackPixels: [Int]
        public var identical: Bool { sentPages == receivedPages && differingPixels.allSatisfy { $0 == 0 } }
        public var description: String {
            "\(receivedPages) of \(sentPages) pages; differing pixels \(differingPixels), black pixels compared \(blackPixels)"
        }
    }

    /// Compares `received` with `sent` pixel by pixel below the T.30 header
    /// line (32 rows fine, 16 standard), whether the sender's header was
    /// added above the image (the received page taller by that much) or laid over it.
    public static func compare(sent: String, received: String) throws(FaxError) -> Comparison {
        let a = try bitmaps(sent), b = try bitmaps(received)
        let sentPages = try pages(sent)
        var diff: [Int] = [], black: [Int] = []
        for i in 0..<min(a.count, b.count) {
            let s = a[i], r = b[i], header = sentPages[i].headerRows
            guard s.width == r.width else { diff.append(s.width * s.height); black.append(0); continue }
            // Added above: the received page is `header` rows taller; laid over: same height.
            let shift = r.height >= s.height + header ? r.height - s.height : 0
            let firstSent = shift > 0 ? 0 : header
            var d = 0, k = 0
            for y in firstSent..<s.height {
                let ry = y + shift
                guard ry < r.height else { d += s.width; continue }
                for x in 0..<s.rowBytes { d += (s.bits[y * s.rowBytes + x] ^ r.bits[ry * r.rowBytes + x]).nonzeroBitCount }
                for x in 0..<s.rowBytes { k += s.bits[y * s.rowBytes + x].nonzeroBitCount }
            }
            diff.append(d)
            black.append(k)
        }
        return Comparison(sentPages: a.count, receivedPages: b.count, differingPixels: diff, blackPixels: black)
    }

    // MARK: Tools

    /// Joins TIFF files into one multi-page document (`tiffcp`).
    public static func join(_ files: [String], into out: String) throws(FaxError) {
        try run("/usr/bin/tiffcp", files + [out], what: "joining \(files.joined(separator: ", "))")
    }

    /// Renders a PDF (or PostScript) as fax pages: G4 TIFF, 1728 pixels wide,
    /// fine resolution (204×196 dpi), each page fitted (ghostscript).
    public static func convert(pdf: String, to tiff: String) throws(FaxError) {
        guard FileManager.default.isReadableFile(atPath: pdf) else { throw .invalid("\(pdf): no such file or not readable") }
        try run("/usr/bin/gs", ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg4", "-r204x196",
                                "-g\(pageWidth)x2156", "-dFIXEDMEDIA", "-dPDFFitPage", "-o", tiff, pdf],
                what: "converting \(pdf)")
        try validateForSending(tiff)
    }

    /// Makes a PDF of a TIFF's pages (`tiff2pdf`), e.g. of a received fax.
    public static func convert(tiff: String, toPDF pdf: String) throws(FaxError) {
        try run("/usr/bin/tiff2pdf", ["-o", pdf, tiff], what: "converting \(tiff)")
    }

    /// A test document: `pages` fine-resolution pages, each with a few lines
    /// of large text of its own (sparse: a few seconds of line time each), rendered by ghostscript.
    public static func makeTestDocument(_ path: String, pages: Int = 3, title: String = "Dialtone fax test") throws(FaxError) {
        var ps = "%!PS\n/Helvetica-Bold findfont 36 scalefont setfont\n"
        for p in 1...pages {
            let text = "\(title) page \(p) of \(pages)".replacingOccurrences(of: "(", with: "[").replacingOccurrences(of: ")", with: "]")
            ps += "72 \(640 - 30 * p) moveto (\(text)) show\n"
            ps += "72 \(560 - 40 * p) moveto (\(String(repeating: "\(p)", count: 10 + p))) show\n"
            ps += "\(60 + 40 * p) 200 moveto \(60 + 40 * p) 300 lineto 6 setlinewidth stroke\nshowpage\n"
        }
        let source = path + ".ps"
        do { try ps.write(toFile: source, atomically: true, encoding: .utf8) } catch {
            throw .invalid("\(source): cannot write: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(atPath: source) }
        try run("/usr/bin/gs", ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg4", "-r204x196",
                                "-g\(pageWidth)x2156", "-dFIXEDMEDIA", "-o", path, source], what: "rendering \(path)")
    }

    private static func run(_ tool: String, _ arguments: [String], what: String) throws(FaxError) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { throw .invalid("\(what): cannot run \(tool): \(error.localizedDescription)") }
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw .invalid("\(what): \((tool as NSString).lastPathComponent) failed (\(p.terminationStatus)): \(message.prefix(300))")
        }
    }

    private static func withTIFF<T>(_ path: String, _ body: (OpaquePointer) throws(FaxError) -> T) throws(FaxError) -> T {
        CSpanDSP_tiff_quiet()
        guard let tif = TIFFOpen(path, "r") else { throw .invalid("\(path): not a readable TIFF file") }
        defer { TIFFClose(tif) }
        return try body(tif)
    }
}

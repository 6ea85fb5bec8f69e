// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import Foundation

/// What libtiff says about a fax document: its pages and their sizes.
public struct FaxTIFFInfo: Sendable, Equatable {
    public struct Page: Sendable, Equatable {
        public var width: Int
        public var length: Int
        public var bitsPerSample: Int
        public var xResolution: Double
        public var yResolution: Double
    }
    public var pages: [Page]
}

/// A document that cannot be faxed, and why.
public struct FaxDocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// Reads TIFF files with libtiff, as SpanDSP will when it sends them.
public enum FaxTIFF {
    /// The only page width SpanDSP 0.0.6 sends (A4/letter at 8 dots/mm; it does not rescale).
    public static let width = 1728

    /// Opens `path` and reads every page (every strip decoded, so a file cut
    /// short is found now, not ~7 s into a call).
    public static func inspect(_ path: String) -> Result<FaxTIFFInfo, FaxDocumentError> {
        let messages = TIFFMessages()
        let user = Unmanaged.passUnretained(messages).toOpaque()
        let options = TIFFOpenOptionsAlloc()
        defer { TIFFOpenOptionsFree(options) }
        TIFFOpenOptionsSetErrorHandlerExtR(options, tiffMessage, user)
        TIFFOpenOptionsSetWarningHandlerExtR(options, tiffIgnore, nil)
        guard FileManager.default.isReadableFile(atPath: path) else {
            return .failure(FaxDocumentError(path: path, message: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))
        }
        guard let tif = TIFFOpenExt(path, "r", options) else {
            return .failure(FaxDocumentError(path: path, message: "not a readable TIFF file (\(messages.first ?? "libtiff cannot open it"))"))
        }
        defer { TIFFClose(tif) }
        var pages: [FaxTIFFInfo.Page] = []
        repeat {
            let n = pages.count + 1
            let page = FaxTIFFInfo.Page(width: Int(field(tif, TIFFTAG_IMAGEWIDTH, UInt32(0))),
                                        length: Int(field(tif, TIFFTAG_IMAGELENGTH, UInt32(0))),
                                        bitsPerSample: Int(field(tif, TIFFTAG_BITSPERSAMPLE, UInt16(1))),
                                        xResolution: Double(field(tif, TIFFTAG_XRESOLUTION, Float(0))),
                                        yResolution: Double(field(tif, TIFFTAG_YRESOLUTION, Float(0))))
            guard page.bitsPerSample == 1 else {
                return .failure(FaxDocumentError(path: path, message: "page \(n) has \(page.bitsPerSample) bits per sample; a fax page is black and white (1 bit)"))
            }
            let strips = TIFFNumberOfStrips(tif)
            let size = TIFFStripSize(tif)
            guard size > 0 else { return .failure(FaxDocumentError(path: path, message: "page \(n) has no image data")) }
            var buffer = [UInt8](repeating: 0, count: Int(size))
            for s in 0..<strips where TIFFReadEncodedStrip(tif, s, &buffer, size) < 0 {
                return .failure(FaxDocumentError(path: path, message: "page \(n) cannot be decoded (\(messages.first ?? "strip \(s) unreadable"))"))
            }
            pages.append(page)
        } while TIFFReadDirectory(tif) == 1
        if let e = messages.first { return .failure(FaxDocumentError(path: path, message: "libtiff: \(e)")) }
        return .success(FaxTIFFInfo(pages: pages))
    }

    /// `inspect`, then every page must be ``width`` pixels wide.
    public static func validate(_ path: String) -> Result<FaxTIFFInfo, FaxDocumentError> {
        inspect(path).flatMap { info in
            if let (i, p) = info.pages.enumerated().first(where: { $0.element.width != width }) {
                return .failure(FaxDocumentError(path: path, message: "page \(i + 1) is \(p.width) pixels wide; fax pages must be \(width) (SpanDSP does not rescale)"))
            }
            return .success(info)
        }
    }

    /// `TIFFGetField` is variadic; its `va_list` form is callable.
    private static func field<T>(_ tif: OpaquePointer, _ tag: Int32, _ initial: T) -> T {
        var value = initial
        let ok = withUnsafeMutablePointer(to: &value) { p in
            withVaList([OpaquePointer(p)]) { TIFFVGetField(tif, UInt32(tag), $0) }
        }
        return ok == 1 ? value : initial
    }
}

/// The first error libtiff reported for one file.
private final class TIFFMessages: @unchecked Sendable { var first: String? }

private let tiffMessage: TIFFErrorHandlerExtR = { _, user, _, fmt, args in
    guard let user, let fmt, let args else { return 1 }
    let box = Unmanaged<TIFFMessages>.fromOpaque(user).takeUnretainedValue()
    var buffer = [CChar](repeating: 0, count: 512)
    _ = vsnprintf(&buffer, buffer.count, fmt, args)
    if box.first == nil { box.first = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return 1
}

private let tiffIgnore: TIFFErrorHandlerExtR = { _, _, _, _, _ in 1 }

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A catalogue file made ready to send: the TIFF-F the switch transmits.
public struct PreparedFaxDocument: Sendable, Equatable {
    /// The TIFF sent: the file itself, or the spool's conversion of a PDF.
    public var tiff: String
    public var pages: Int
    /// The file was a PDF converted (or found converted) in the spool.
    public var converted: Bool
}

/// Turns catalogue files into validated fax TIFFs, once: a PDF is converted
/// with ghostscript into `SPOOL/documents/HASH.tif`, HASH of its content and
/// the conversion settings, so a reload or restart reuses the conversion and
/// a changed file is converted again. A TIFF is checked where it is.
public struct FaxDocumentPreparer: Sendable {
    public let spool: String

    public init(spool: String) { self.spool = spool }

    public var documentsDirectory: String { "\(spool)/documents" }

    public func prepare(_ path: String) -> Result<PreparedFaxDocument, FaxDocumentError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = !FileManager.default.fileExists(atPath: path) ? "no such file"
                : FileManager.default.isReadableFile(atPath: path) ? "cannot be read" : "permission denied"
            return .failure(FaxDocumentError(path: path, message: why))
        }
        switch Self.kind(data) {
        case .tiff:
            return FaxTIFF.validate(path).map { PreparedFaxDocument(tiff: path, pages: $0.pages.count, converted: false) }
        case .pdf, .postscript:
            return convert(path, data)
        case nil:
            return .failure(FaxDocumentError(path: path, message: "neither a TIFF nor a PDF file"))
        }
    }

    enum Kind { case tiff, pdf, postscript }

    /// By the first bytes, not the name.
    static func kind(_ data: Data) -> Kind? {
        let head = [UInt8](data.prefix(4))
        if head == [0x49, 0x49, 0x2A, 0x00] || head == [0x4D, 0x4D, 0x00, 0x2A] { return .tiff }
        if head == Array("%PDF".utf8) { return .pdf }
        if head.starts(with: Array("%!".utf8)) { return .postscript }
        return nil
    }

    private func convert(_ path: String, _ data: Data) -> Result<PreparedFaxDocument, FaxDocumentError> {
        let salt = FaxTools.ghostscriptArguments(input: "", output: "").joined(separator: " ")
        let target = "\(documentsDirectory)/\(FaxTools.contentHash(data, salt: salt)).tif"
        if FileManager.default.fileExists(atPath: target), case .success(let info) = FaxTIFF.validate(target) {
            return .success(PreparedFaxDocument(tiff: target, pages: info.pages.count, converted: true))
        }
        do {
            try FileManager.default.createDirectory(atPath: documentsDirectory, withIntermediateDirectories: true)
        } catch {
            return .failure(FaxDocumentError(path: documentsDirectory, message: "cannot create the spool directory: \(error.localizedDescription)"))
        }
        if case .failure(let e) = FaxTools.convertToFaxTIFF(path, output: target) { return .failure(e) }
        return FaxTIFF.validate(target)
            .map { PreparedFaxDocument(tiff: target, pages: $0.pages.count, converted: true) }
            .mapError { FaxDocumentError(path: path, message: "converted, but the result is not a fax TIFF: \($0.message)") }
    }
}

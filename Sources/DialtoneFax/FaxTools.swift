// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// The Debian programs fax documents go through: ghostscript (`gs`, PDF
/// and PostScript to TIFF G4) and `tiff2pdf` (libtiff-tools, received faxes
/// to PDF). Run off any real-time thread: they take a fraction of a second a page.
public enum FaxTools {
    /// Pages as gs renders them: 1728 × 2292 pixels at 204 × 196 dpi — 8.47 × 11.69 in, the
    /// fax line's width and A4's height (ITU-T T.4 fine resolution, 8 × 7.7 lines/mm).
    public static let pageWidth = 1728
    public static let pageHeight = 2292

    /// The gs arguments that turn `input` (PDF or PostScript) into a TIFF-F G4
    /// file, every page fitted (aspect kept) into a fax page.
    public static func ghostscriptArguments(input: String, output: String) -> [String] {
        ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg4", "-r204x196",
         "-g\(pageWidth)x\(pageHeight)", "-dFIXEDMEDIA", "-dPDFFitPage", "-dFitPage",
         "-sOutputFile=\(output)", input]
    }

    /// Converts `input` to `output` (written to a temporary name, then renamed).
    public static func convertToFaxTIFF(_ input: String, output: String) -> Result<Void, FaxDocumentError> {
        let temporary = output + ".part"
        try? FileManager.default.removeItem(atPath: temporary)
        let r = run("gs", ghostscriptArguments(input: input, output: temporary))
        guard r.status == 0, FileManager.default.fileExists(atPath: temporary) else {
            try? FileManager.default.removeItem(atPath: temporary)
            return .failure(FaxDocumentError(path: input, message: "ghostscript could not convert it: \(r.problem)"))
        }
        do {
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
        } catch {
            return .failure(FaxDocumentError(path: output, message: "cannot write: \(error.localizedDescription)"))
        }
        return .success(())
    }

    /// A received fax as PDF (`tiff2pdf -o PDF TIFF`).
    public static func pdf(fromTIFF tiff: String, output: String) -> Result<Void, FaxDocumentError> {
        let r = run("tiff2pdf", ["-o", output, tiff])
        guard r.status == 0, FileManager.default.fileExists(atPath: output) else {
            return .failure(FaxDocumentError(path: tiff, message: "tiff2pdf failed: \(r.problem)"))
        }
        return .success(())
    }

    struct RunResult {
        var status: Int32
        var stderr: String
        var problem: String {
            let text = stderr.split(separator: "\n").prefix(3).joined(separator: "; ")
            return text.isEmpty ? "exit status \(status)" : text
        }
    }

    /// Runs `program` (found in PATH) and waits; stdout is discarded, stderr kept.
    static func run(_ program: String, _ arguments: [String]) -> RunResult {
        guard let url = find(program) else {
            return RunResult(status: 127, stderr: "\(program) is not installed (Debian: \(program == "gs" ? "ghostscript" : "libtiff-tools"))")
        }
        let p = Process()
        p.executableURL = url
        p.arguments = arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return RunResult(status: 126, stderr: "\(program): \(error.localizedDescription)") }
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return RunResult(status: p.terminationStatus, stderr: String(decoding: data, as: UTF8.self))
    }

    static func find(_ program: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }

    /// FNV-1a (64 bit) of `data`, as 16 hex digits: the spool's cache key.
    public static func contentHash(_ data: Data, salt: String = "") -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in Array(salt.utf8) + [0] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        data.withUnsafeBytes { raw in for b in raw { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        return String(h, radix: 16).leftPadded(16)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

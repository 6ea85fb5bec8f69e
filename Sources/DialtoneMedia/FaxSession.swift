// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import Foundation

/// One T.30 fax exchange over G.711 audio: SpanDSP's `fax_state_t` (the
/// V.21/V.27ter/V.29/V.17 modems and the T.30 protocol), sending TIFF pages
/// or receiving them into a TIFF file.
///
/// Made off the media thread (`fax_init` allocates), handed to the media
/// engine with ``MediaEngine/Command/startFax(_:_:)``, fed frame by frame
/// there, handed back in ``MediaEngine/Event/faxFinished(_:_:)`` and closed
/// off the media thread (``close()``). SpanDSP's phase B/D/E handlers write
/// into fields allocated here; the media thread reads them after each frame.
/// (SpanDSP itself reads and writes the TIFF at page boundaries, inside
/// `fax_rx`/`fax_tx`, and libtiff allocates there: that file I/O is the
/// library's, not the pipeline's — 11 of the ~1,400 ticks of a 3-page
/// exchange allocate; training and page data never do. See FaxTests.)
public final class FaxSession: @unchecked Sendable {
    /// The T.30 role: the calling terminal sends CNG and waits for the
    /// answerer's DIS; the answering terminal sends CED then DIS.
    public enum Role: Sendable, Equatable { case calling, answering }

    /// What the session does with pages.
    public enum Direction: Sendable, Equatable {
        /// Sends these TIFF files' pages, in order (several files are joined into one document first).
        case send([String])
        /// Receives pages into a TIFF file (written T.4-coded by SpanDSP).
        case receive(String)
    }

    /// T.30 capabilities and identification.
    public struct Options: Sendable, Equatable {
        /// Error correction mode (T.30 Annex A): a page survives line errors. On by default.
        public var ecm = true
        /// V.17 (14400–7200), V.29 (9600/7200) and V.27ter (4800/2400) image modems.
        public var v17 = true, v29 = true, v27ter = true
        /// T.6 (MMR) coding allowed on the line besides T.4 1-D/2-D (needs ECM).
        public var t6 = true
        /// The local identity (TSI/CSI, up to 20 characters: digits, space, +).
        public var ident = ""
        /// The page header text the sending terminal prints on each page (nil: no header line).
        public var header: String?
        public init(ecm: Bool = true, ident: String = "", header: String? = nil) {
            self.ecm = ecm
            self.ident = ident
            self.header = header
        }
    }

    public let role: Role
    public let direction: Direction
    public let options: Options
    /// The file sent (the joined document when several were given) or received into.
    public let file: String
    let state: OpaquePointer        // fax_state_t
    let t30: OpaquePointer          // t30_state_t inside it
    let progress: UnsafeMutablePointer<FaxProgress>
    private var joined: String?
    private var closed = false
    private var closedResult: FaxResult?

    /// Prepares a session (off the media thread): checks the files, joins
    /// several into one document (libtiff's `tiffcp`), and initialises SpanDSP.
    public init(role: Role, direction: Direction, options: Options = Options()) throws(FaxError) {
        self.role = role
        self.direction = direction
        self.options = options
        switch direction {
        case .send(let files):
            guard !files.isEmpty else { throw .invalid("nothing to send") }
            for f in files { _ = try FaxDocument.validateForSending(f) }
            if files.count == 1 {
                file = files[0]
            } else {
                let out = FileManager.default.temporaryDirectory
                    .appendingPathComponent("dialtone-fax-\(UUID().uuidString).tif").path
                try FaxDocument.join(files, into: out)
                file = out
                joined = out
            }
        case .receive(let path):
            let dir = (path as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            guard !path.isEmpty, FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir), isDir.boolValue
            else { throw .invalid("\(path): no such directory to receive into") }
            file = path
        }
        guard let s = fax_init(nil, role == .calling ? 1 : 0) else { throw .invalid("fax_init failed") }
        state = s
        t30 = fax_get_t30_state(s)
        progress = .allocate(capacity: 1)
        progress.initialize(to: FaxProgress())
        fax_set_transmit_on_idle(s, 1)
        configure()
    }

    private func configure() {
        if !options.ident.isEmpty { _ = t30_set_tx_ident(t30, options.ident) }
        if let header = options.header, !header.isEmpty { _ = t30_set_tx_page_header_info(t30, header) }
        _ = t30_set_ecm_capability(t30, options.ecm ? 1 : 0)
        var modems: Int32 = 0
        if options.v27ter { modems |= Int32(T30_SUPPORT_V27TER) }
        if options.v29 { modems |= Int32(T30_SUPPORT_V29) }
        if options.v17 { modems |= Int32(T30_SUPPORT_V17) }
        _ = t30_set_supported_modems(t30, modems)
        var compressions = Int32(T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION)
        if options.t6 { compressions |= Int32(T30_SUPPORT_T6_COMPRESSION) }
        _ = t30_set_supported_compressions(t30, compressions)
        switch direction {
        case .send: t30_set_tx_file(t30, file, -1, -1)
        case .receive: t30_set_rx_file(t30, file, -1)
        }
        let user = UnsafeMutableRawPointer(progress)
        t30_set_phase_b_handler(t30, { s, user, _ in
            let p = user!.assumingMemoryBound(to: FaxProgress.self)
            p.pointee.take(s!)
            p.pointee.negotiations &+= 1
            return 0
        }, user)
        t30_set_phase_d_handler(t30, { s, user, _ in
            let p = user!.assumingMemoryBound(to: FaxProgress.self)
            p.pointee.take(s!)
            return 0
        }, user)
        t30_set_phase_e_handler(t30, { s, user, code in
            let p = user!.assumingMemoryBound(to: FaxProgress.self)
            p.pointee.take(s!)
            p.pointee.code = code
            p.pointee.finished = true
        }, user)
    }

    deinit {
        if !closed { fax_free(state) }
        progress.deallocate()
        if let joined { try? FileManager.default.removeItem(atPath: joined) }
    }

    // MARK: Media thread

    /// Feeds `count` received linear samples (the one thread running the session).
    @inline(__always)
    public func receive(_ samples: UnsafeMutablePointer<Int16>, count: Int) {
        _ = fax_rx(state, samples, Int32(count))
    }

    /// Fills `count` samples to transmit (the one thread running the session).
    @inline(__always)
    public func transmit(_ samples: UnsafeMutablePointer<Int16>, count: Int) {
        let n = Int(fax_tx(state, samples, Int32(count)))
        if n < count { (samples + n).initialize(repeating: 0, count: count - n) }
    }

    // MARK: Off the media thread

    /// True once T.30 reached phase E (the exchange is over, well or not).
    public var isFinished: Bool { progress.pointee.finished }

    /// Ends the session (once the media thread let go of it): an exchange
    /// that did not reach phase E is terminated (SpanDSP reports it, usually
    /// as "call dropped"); SpanDSP's state is freed and the received file
    /// closed. The outcome.
    @discardableResult
    public func close() -> FaxResult {
        if let closedResult { return closedResult }
        if !progress.pointee.finished {
            t30_terminate(t30)
            if !progress.pointee.finished {
                progress.pointee.take(t30)
                progress.pointee.code = Int32(T30_ERR_CALLDROPPED)
                progress.pointee.finished = true
            }
        }
        fax_free(state)
        closed = true
        let r = result
        closedResult = r
        return r
    }

    /// The outcome so far (final once ``isFinished``).
    public var result: FaxResult {
        let p = progress.pointee
        // Before phase B SpanDSP's statistics hold its defaults, not a negotiated rate.
        let negotiated = p.negotiations > 0
        return FaxResult(code: Int(p.code), pages: Int(p.pages), rate: negotiated ? Int(p.rate) : 0, ecm: negotiated && p.ecm, file: file)
    }
}

/// What SpanDSP's phase handlers report (written on the media thread, read
/// there after each frame, and off it once the session is handed back).
struct FaxProgress {
    var negotiations: UInt32 = 0
    var pages: Int32 = 0
    var rate: Int32 = 0
    var ecm = false
    var code: Int32 = 0
    var finished = false

    /// Copies the transfer statistics (no allocation).
    mutating func take(_ t30: OpaquePointer) {
        var stats = t30_stats_t()
        t30_get_transfer_statistics(t30, &stats)
        rate = stats.bit_rate
        ecm = stats.error_correcting_mode != 0
        pages = max(stats.pages_tx, stats.pages_rx)
    }
}

/// A fax exchange's outcome: SpanDSP's T.30 completion code (0: success), pages, rate and ECM.
public struct FaxResult: Sendable, Equatable, CustomStringConvertible {
    /// T.30 completion code (SpanDSP's `T30_ERR_…`; 0 = OK).
    public var code: Int
    /// Pages transferred (sent and confirmed, or received).
    public var pages: Int
    /// Image bit rate negotiated (bit/s; 0 before training).
    public var rate: Int
    public var ecm: Bool
    /// The file sent or received into.
    public var file: String
    public var succeeded: Bool { code == 0 }
    /// SpanDSP's code for an exchange cut short by the call ending (T30_ERR_CALLDROPPED).
    public static let callDropped = Int(T30_ERR_CALLDROPPED)
    /// SpanDSP's text for the completion code.
    public var text: String { FaxResult.text(code) }
    public static func text(_ code: Int) -> String { String(cString: t30_completion_code_to_str(Int32(code))) }
    public var description: String { "\(text) (\(code)): \(pages) pages at \(rate) bit/s\(ecm ? ", ECM" : "")" }
    public init(code: Int, pages: Int, rate: Int, ecm: Bool, file: String) {
        self.code = code
        self.pages = pages
        self.rate = rate
        self.ecm = ecm
        self.file = file
    }
}

/// A fax that cannot be started: a bad document or destination, named.
public enum FaxError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let why): why }
    }
}

extension FaxSession: Equatable {
    /// The same session (identity).
    public static func == (a: FaxSession, b: FaxSession) -> Bool { a === b }
}

// SPDX-License-Identifier: GPL-2.0-or-later

/// How one outbound fax call ended, as the fax line reports it: the call
/// (answered, or the Q.931 cause it failed with) and, when answered, the
/// T.30 session (SpanDSP's completion code and text, pages, rate, ECM).
public struct FaxOutcome: Sendable, Codable, Equatable {
    public enum Call: String, Sendable, Codable {
        /// Connected; the T.30 fields say how the fax went.
        case answered
        /// Q.931 cause 17.
        case busy
        /// Rang out (cause 18/19, or the answer timeout).
        case noAnswer = "no-answer"
        /// Any other clearing before answer (`cause` says which), or no circuit.
        case failed
    }

    public var call: Call
    /// The Q.931 cause of a call that was not answered (or of its clearing).
    public var cause: Int?
    /// SpanDSP's T.30 completion code (`T30_ERR_OK` = 0 is success); nil when T.30 never ran.
    public var t30Code: Int?
    /// `t30_completion_code_to_str` of the code.
    public var t30Text: String?
    /// Pages confirmed by the receiver.
    public var pages: Int
    /// Bit rate of the last page (bit/s), 0 when no page was sent.
    public var rate: Int
    /// Error correction mode was used.
    public var ecm: Bool

    public init(call: Call, cause: Int? = nil, t30Code: Int? = nil, t30Text: String? = nil,
                pages: Int = 0, rate: Int = 0, ecm: Bool = false) {
        self.call = call
        self.cause = cause
        self.t30Code = t30Code
        self.t30Text = t30Text
        self.pages = pages
        self.rate = rate
        self.ecm = ecm
    }

    /// The fax went through: answered and T.30 ended with `T30_ERR_OK`.
    public var isSuccess: Bool { call == .answered && t30Code == T30Code.ok }

    /// Another attempt may succeed: busy, no answer, a temporary network
    /// failure (Q.931 class "resource unavailable" and timer recovery), or a
    /// T.30 failure of the line or the session (training, timeouts, DCN, a
    /// dropped call). Not retried: a number that does not exist or refuses
    /// the call, a far end that cannot take this document (incompatible,
    /// resolution, size, not a receiver), our own document failing (TIFF
    /// errors) and identification refusals.
    public var isRetryable: Bool {
        switch call {
        case .busy, .noAnswer: return true
        case .failed: return cause.map(Self.retryableCauses.contains) ?? true
        case .answered:
            guard let code = t30Code else { return true }  // answered but T.30 never reported: line trouble
            return code != T30Code.ok && !T30Code.permanent.contains(code)
        }
    }

    /// Q.931 causes worth another attempt later (Q.850 §2.2.7).
    public static let retryableCauses: Set<Int> = [17, 18, 19, 27, 31, 34, 38, 41, 42, 44, 47, 102]

    /// One line for listings: `sent 3 pages 14400 bit/s ECM`, `busy (17)`, `T.30 9: Far end is not able to receive`.
    public var summary: String {
        switch call {
        case .busy: return "busy" + (cause.map { " (\($0))" } ?? "")
        case .noAnswer: return "no answer" + (cause.map { " (\($0))" } ?? "")
        case .failed: return "call failed" + (cause.map { " (cause \($0))" } ?? "")
        case .answered:
            if isSuccess { return "sent \(pages) page\(pages == 1 ? "" : "s") \(rate) bit/s\(ecm ? " ECM" : "")" }
            return "T.30 \(t30Code.map(String.init) ?? "?"): \(t30Text ?? "no result") after \(pages) page\(pages == 1 ? "" : "s")"
        }
    }
}

/// SpanDSP 0.0.6's T.30 completion codes the scheduler needs (`t30.h`,
/// `T30_ERR_…`; a test checks them against the library's enum).
public enum T30Code {
    public static let ok = 0
    public static let incompatible = 8
    public static let rxIncapable = 9
    public static let txIncapable = 10
    public static let noResSupport = 11
    public static let noSizeSupport = 12
    /// `T30_ERR_FILEERROR` … `T30_ERR_NOMEM`: our document could not be sent.
    public static let fileError = 41
    public static let noMem = 47
    public static let callDropped = 49
    /// `T30_ERR_IDENT_UNACCEPTABLE` and the other "unacceptable" codes after it.
    public static let identUnacceptable = 51

    /// Failures another attempt cannot mend.
    public static func isPermanent(_ code: Int) -> Bool { permanent.contains(code) }
    static let permanent: Set<Int> = Set([incompatible, rxIncapable, txIncapable, noResSupport, noSizeSupport])
        .union(fileError...noMem).union(identUnacceptable...identUnacceptable + 10)
}

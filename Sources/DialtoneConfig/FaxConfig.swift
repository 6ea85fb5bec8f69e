// SPDX-License-Identifier: GPL-2.0-or-later

/// The `fax:` section (docs/fax.md, docs/config.md §fax): the fax-on-demand
/// catalogue, the numbers that receive faxes, the spool, and how outbound
/// fax jobs are dialled.
public struct FaxConfig: Sendable, Equatable {
    /// A fixed document of the catalogue.
    public struct Document: Sendable, Equatable {
        /// What a caller keys to order it (1–6 digits).
        public var number: String
        public var name: String
        /// The file as configured (resolved against the config file's directory).
        public var file: String
        /// The TIFF-F sent: `file` itself, or its conversion in the spool
        /// (equal to `file` and `pages` 0 when the config was loaded without checking files).
        public var tiff: String
        public var pages: Int
        public var line: Int?

        public init(number: String, name: String, file: String, tiff: String, pages: Int, line: Int? = nil) {
            self.number = number
            self.name = name
            self.file = file
            self.tiff = tiff
            self.pages = pages
            self.line = line
        }
    }

    /// How the customer of a personal document is found.
    public enum CustomerKey: Sendable, Equatable {
        /// By the caller's number (normalised like the ACD's lookup).
        case callingNumber
        /// By digits the caller keys (ended by `#`), matched against this customer field.
        case digits(field: String)
    }

    /// A document made for the caller from a template and their customer record.
    public struct PersonalDocument: Sendable, Equatable {
        public var number: String
        public var name: String
        /// The template file and its text (read at load).
        public var template: String
        public var text: String
        public var key: CustomerKey
        /// `customer.X` fields the template uses beyond the fixed ones (a record without one renders it empty).
        public var freeFields: [String]
        public var line: Int?

        public init(number: String, name: String, template: String, text: String, key: CustomerKey,
                    freeFields: [String], line: Int? = nil) {
            self.number = number
            self.name = name
            self.template = template
            self.text = text
            self.key = key
            self.freeFields = freeFields
            self.line = line
        }
    }

    /// Where a fax received on a fax number goes.
    public enum Delivery: Sendable, Equatable {
        case queue(String)
        case agent(String)
        /// Indexed only (the unified inbox, no owner).
        case inbox
    }

    public var documents: [Document] = []
    public var personal: [PersonalDocument] = []
    /// DNIS → delivery: calls to these numbers are fax reception from the start.
    public var receive: [String: Delivery] = [:]
    /// Converted documents, rendered personal documents, received faxes. Default `/var/spool/dialtone/fax`.
    public var spool: String = "/var/spool/dialtone/fax"
    /// Calls per destination at most (the first included). Default 3.
    public var attempts: Int = 3
    /// Seconds between attempts. Default 300.
    public var retryDelay: Double = 300
    /// Outbound fax calls at once. Default 4.
    public var maxCalls: Int = 4
    /// The T.30 header line printed atop every page sent (empty: none).
    public var header: String = ""
    /// The local identifier (TSI/CSI, up to 20 characters of T.30's set: digits, `+`, space).
    public var ident: String = ""
    /// Where `fax send`/`broadcast` dial: the number is routed by the dialplan like any call.
    public var answerTimeout: Double = 60

    public init() {}

    /// A catalogue entry (fixed or personal) by the number a caller keys.
    public func entry(_ number: String) -> Entry? {
        if let d = documents.first(where: { $0.number == number }) { return .document(d) }
        if let p = personal.first(where: { $0.number == number }) { return .personal(p) }
        return nil
    }

    public enum Entry: Sendable, Equatable {
        case document(Document)
        case personal(PersonalDocument)
        public var number: String { switch self { case .document(let d): d.number; case .personal(let p): p.number } }
        public var name: String { switch self { case .document(let d): d.name; case .personal(let p): p.name } }
    }

    /// The spool's subdirectories.
    public var receivedDirectory: String { "\(spool)/received" }
    public var renderedDirectory: String { "\(spool)/rendered" }
}

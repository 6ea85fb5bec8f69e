// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneFax
import DialtoneSignalling
import Foundation

extension FaxApplication {
    /// The catalogue with page counts (`dialtone fax documents`).
    public func catalogue() -> [FaxCatalogueEntry] {
        config.documents.map { FaxCatalogueEntry(number: $0.number, name: $0.name, kind: "document", file: $0.file, pages: $0.pages) }
            + config.personal.map {
                let key = switch $0.key { case .callingNumber: "calling-number"; case .digits(let f): "digits:\(f)" }
                return FaxCatalogueEntry(number: $0.number, name: $0.name, kind: "personal", file: $0.template, pages: nil, key: key)
            }
    }

    /// Documents named on a command line: catalogue numbers of fixed
    /// documents, or files (TIFF checked, PDF converted into the spool) —
    /// every one checked before anything is dialled.
    func resolve(_ documents: [String]) -> Result<[FaxDocumentRef], FaxRequestError> {
        var out: [FaxDocumentRef] = []
        let preparer = FaxDocumentPreparer(spool: config.spool)
        for d in documents {
            switch config.entry(d) {
            case .document(let doc)?:
                if doc.pages > 0 { out.append(FaxDocumentRef(number: doc.number, name: doc.name, path: doc.tiff, pages: doc.pages)); continue }
                switch preparer.prepare(doc.file) {
                case .success(let p): out.append(FaxDocumentRef(number: doc.number, name: doc.name, path: p.tiff, pages: p.pages))
                case .failure(let e): return .failure(.invalid("document \(d): \(e)"))
                }
            case .personal?:
                return .failure(.invalid("document \(d) is personal: it is made from a caller's customer record when ordered by phone"))
            case nil:
                guard d.contains("/") || d.contains(".") else {
                    let known = (config.documents.map(\.number) + config.personal.map(\.number)).joined(separator: ", ")
                    return .failure(.invalid("no document \(d) in the catalogue (documents: \(known.isEmpty ? "none" : known)); give a file path to send a file"))
                }
                switch preparer.prepare(d) {
                case .success(let p):
                    out.append(FaxDocumentRef(number: "", name: (d as NSString).lastPathComponent, path: p.tiff, pages: p.pages))
                case .failure(let e): return .failure(.invalid("\(e)"))
                }
            }
        }
        return .success(out)
    }

    /// A fax-on-demand order: fixed documents as they are, personal ones
    /// rendered now from the caller's customer record (found by calling
    /// number, or by the digits keyed for that document) into the spool.
    public func order(_ numbers: [String], calling: PartyNumber, keyed: [String: String] = [:],
                      callID: String) async -> Result<[FaxDocumentRef], FaxRequestError> {
        var out: [FaxDocumentRef] = []
        for number in numbers {
            switch config.entry(number) {
            case .document?:
                switch resolve([number]) {
                case .success(let r): out += r
                case .failure(let e): return .failure(e)
                }
            case .personal(let p)?:
                let customer: CustomerRecord?
                switch p.key {
                case .callingNumber: customer = storage.customer(calling: calling)
                case .digits(let field):
                    guard let digits = keyed[number], !digits.isEmpty else { return .failure(.invalid("document \(number) needs the caller's \(field)")) }
                    customer = storage.customer(field: field, value: digits)
                }
                guard let customer else { return .failure(.notFound("no customer record for document \(number)")) }
                let t = now()
                var values = customer.callData
                let day = DateFormatter(), time = DateFormatter()
                for f in [day, time] { f.locale = Locale(identifier: "en_US_POSIX") }
                day.dateFormat = "yyyy-MM-dd"
                time.dateFormat = "HH:mm"
                values["date"] = day.string(from: t)
                values["time"] = time.string(from: t)
                values["caller.number"] = calling.digits
                values["document.number"] = p.number
                values["document.name"] = p.name
                values["keyed"] = keyed[number] ?? ""
                guard case .success(let template) = FaxTemplate.parse(p.text) else { return .failure(.invalid("template of document \(number) unreadable")) }
                let (text, missing) = template.render(values)
                if !missing.isEmpty {
                    logger.warning("personal fax: fields left empty", metadata: ["call.id": "\(callID)", "document": "\(number)",
                                                                                "fields": "\(missing.joined(separator: ","))"])
                }
                let output = "\(config.renderedDirectory)/\(callID)-\(number)-\(UInt32.random(in: 0...UInt32.max)).tif"
                let rendered = await Task.detached { FaxTextRenderer.render(text, to: output) }.value
                switch rendered {
                case .success(let pages): out.append(FaxDocumentRef(number: p.number, name: p.name, path: output, pages: pages))
                case .failure(let e):
                    logger.error("personal fax not rendered", metadata: ["call.id": "\(callID)", "error": "\(e)"])
                    return .failure(.invalid("document \(number) could not be rendered: \(e.message)"))
                }
            case nil:
                return .failure(.notFound("no document \(number)"))
            }
        }
        return .success(out)
    }
}

/// One line of `dialtone fax documents`.
public struct FaxCatalogueEntry: Sendable, Codable, Equatable {
    public var number: String
    public var name: String
    /// `document` (fixed) or `personal` (rendered per caller).
    public var kind: String
    public var file: String
    /// Pages of a fixed document; nil for a personal one (known when rendered).
    public var pages: Int?
    /// How a personal document finds its customer: `calling-number` or `digits:FIELD`.
    public var key: String?

    public init(number: String, name: String, kind: String, file: String, pages: Int?, key: String? = nil) {
        self.number = number
        self.name = name
        self.kind = kind
        self.file = file
        self.pages = pages
        self.key = key
    }
}

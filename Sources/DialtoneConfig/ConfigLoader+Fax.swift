// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax
import Foundation
import Yams

extension ConfigLoader {
    static let faxKeys = ["spool", "documents", "personal", "receive", "retry", "max_calls", "header", "ident", "answer_timeout"]
    static let faxDocumentKeys = ["number", "name", "file"]
    static let faxPersonalKeys = ["number", "name", "template", "key", "field"]
    static let faxRetryKeys = ["attempts", "delay"]

    /// `fax: {spool, documents: [{number, name, file}], personal: [{number, name, template, key, field}],
    /// receive: {DNIS: queue NAME | agent ID | inbox}, retry: {attempts, delay}, max_calls, header, ident, answer_timeout}`.
    /// With `checkFiles`, every document is read now: a PDF converted once into the spool, a TIFF
    /// checked page by page (1728 pixels wide); a template read and its fields checked.
    static func parseFax(_ node: Node, _ r: YAMLReader, configFile: String, checkFiles: Bool) throws(ConfigError) -> FaxConfig {
        let m = try r.mapping(node, "fax", allowed: faxKeys)
        var fax = FaxConfig()
        if let v = m["spool"] { fax.spool = try path(v.value, "fax.spool", r) }
        fax.spool = resolve(fax.spool, relativeTo: configFile)
        if let v = m["max_calls"] { fax.maxCalls = try r.int(v.value, "fax.max_calls", range: 1...256) }
        if let v = m["answer_timeout"] { fax.answerTimeout = try r.double(v.value, "fax.answer_timeout", range: 10...300, unit: "s") }
        if let v = m["header"] {
            fax.header = try r.string(v.value, "fax.header")
            guard fax.header.count <= 50, fax.header.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
                throw r.error(v.value, "fax.header", "the header line is at most 50 ASCII characters on one line")
            }
        }
        if let v = m["ident"] {
            fax.ident = try r.string(v.value, "fax.ident")
            guard fax.ident.count <= 20, fax.ident.allSatisfy({ "0123456789+ ".contains($0) }) else {
                throw r.error(v.value, "fax.ident", "'\(fax.ident)' is not a T.30 identifier (up to 20 of: digits, '+', space)")
            }
        }
        if let v = m["retry"] {
            let rm = try r.mapping(v.value, "fax.retry", allowed: faxRetryKeys)
            if let a = rm["attempts"] { fax.attempts = try r.int(a.value, "fax.retry.attempts", range: 1...20) }
            if let d = rm["delay"] { fax.retryDelay = try r.double(d.value, "fax.retry.delay", range: 10...86_400, unit: "s") }
        }
        var numbers: [String: Int] = [:]  // catalogue number → line (duplicates across both lists)
        func catalogueNumber(_ n: Node, _ key: String) throws(ConfigError) -> String {
            let s = try digits(n, key, r)
            guard (1...6).contains(s.count), s.allSatisfy(\.isASCIIDigit) else {
                throw r.error(n, key, "'\(s)' is not a document number (1 to 6 digits: callers key it, '#' ends it)")
            }
            if let line = numbers[s] { throw r.error(n, key, "document number '\(s)' is already used at line \(line)") }
            numbers[s] = n.mark?.line ?? 0
            return s
        }
        let preparer = FaxDocumentPreparer(spool: fax.spool)
        if let v = m["documents"] {
            for (i, n) in try r.sequence(v.value, "fax.documents").enumerated() {
                let key = "fax.documents[\(i)]"
                let dm = try r.mapping(n, key, allowed: faxDocumentKeys)
                guard let num = dm["number"] else { throw r.error(n, "\(key).number", "missing required key 'number' (what callers key)") }
                guard let f = dm["file"] else { throw r.error(n, "\(key).file", "missing required key 'file' (a TIFF or PDF)") }
                let number = try catalogueNumber(num.value, "\(key).number")
                let file = resolve(try path(f.value, "\(key).file", r), relativeTo: configFile)
                let name = try dm["name"].map { (x) throws(ConfigError) in try r.string(x.value, "\(key).name") } ?? "document \(number)"
                var doc = FaxConfig.Document(number: number, name: name, file: file, tiff: file, pages: 0, line: n.mark?.line)
                if checkFiles {
                    switch preparer.prepare(file) {
                    case .success(let p): doc.tiff = p.tiff; doc.pages = p.pages
                    case .failure(let e): throw r.error(f.value, "\(key).file", "\(e.path): \(e.message)")
                    }
                }
                fax.documents.append(doc)
            }
        }
        if let v = m["personal"] {
            for (i, n) in try r.sequence(v.value, "fax.personal").enumerated() {
                fax.personal.append(try personalDocument(n, "fax.personal[\(i)]", r, configFile: configFile, checkFiles: checkFiles,
                                                         number: catalogueNumber))
            }
        }
        if let v = m["receive"] { fax.receive = try faxReceive(v.value, r) }
        return fax
    }

    private static func personalDocument(_ n: Node, _ key: String, _ r: YAMLReader, configFile: String, checkFiles: Bool,
                                         number: (Node, String) throws(ConfigError) -> String) throws(ConfigError) -> FaxConfig.PersonalDocument {
        let pm = try r.mapping(n, key, allowed: faxPersonalKeys)
        guard let num = pm["number"] else { throw r.error(n, "\(key).number", "missing required key 'number' (what callers key)") }
        guard let t = pm["template"] else { throw r.error(n, "\(key).template", "missing required key 'template' (a text file with {customer.name}… fields)") }
        let docNumber = try number(num.value, "\(key).number")
        let file = resolve(try path(t.value, "\(key).template", r), relativeTo: configFile)
        let name = try pm["name"].map { (x) throws(ConfigError) in try r.string(x.value, "\(key).name") } ?? "document \(docNumber)"
        var customerKey = FaxConfig.CustomerKey.callingNumber
        if let k = pm["key"] {
            switch try r.string(k.value, "\(key).key") {
            case "calling-number": customerKey = .callingNumber
            case "digits":
                let field = try pm["field"].map { (x) throws(ConfigError) in try r.string(x.value, "\(key).field") } ?? "account"
                guard !field.isEmpty, field.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw r.error(pm["field"]?.value, "\(key).field", "'\(field)' is not a customer field name")
                }
                customerKey = .digits(field: field)
            case let other:
                var message = "'\(other)' is not a customer key"
                if let near = YAMLReader.closest(other, in: ["calling-number", "digits"]) { message += "; did you mean '\(near)'?" }
                throw r.error(k.value, "\(key).key", message + " (calling-number, or digits the caller keys)")
            }
        }
        if let f = pm["field"], customerKey == .callingNumber {
            throw r.error(f.key, "\(key).field", "'field' names what keyed digits are matched against; it needs key: digits")
        }
        var doc = FaxConfig.PersonalDocument(number: docNumber, name: name, template: file, text: "", key: customerKey,
                                             freeFields: [], line: n.mark?.line)
        guard checkFiles else { return doc }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            let why = FileManager.default.fileExists(atPath: file) ? "cannot be read as UTF-8 text" : "no such file"
            throw r.error(t.value, "\(key).template", "\(file): \(why)")
        }
        switch FaxTemplate.parse(text) {
        case .failure(let p): throw r.error(t.value, "\(key).template", "\(file):\(p.line): \(p.message)")
        case .success(let template):
            if let (field, near) = template.unknownField() {
                var message = "\(file): unknown field '{\(field)}'"
                if let near { message += "; did you mean '{\(near)}'?" }
                throw r.error(t.value, "\(key).template", message + " (fields: \(FaxTemplate.knownFields.joined(separator: ", ")), customer.FIELD of the customer file)")
            }
            doc.text = text
            doc.freeFields = template.freeFields
        }
        return doc
    }

    private static func faxReceive(_ node: Node, _ r: YAMLReader) throws(ConfigError) -> [String: FaxConfig.Delivery] {
        if YAMLReader.isNull(node) { return [:] }
        guard case .mapping(let entries) = node else {
            throw r.error(node, "fax.receive", "expected a mapping of fax numbers (DNIS) to 'queue NAME', 'agent ID' or 'inbox'")
        }
        var out: [String: FaxConfig.Delivery] = [:]
        for (k, v) in entries {
            let dnis = try digits(k, "fax.receive", r)
            let key = "fax.receive.\(dnis)"
            if out[dnis] != nil { throw r.error(k, key, "fax number '\(dnis)' appears twice") }
            let words = try r.string(v, key).split(separator: " ").map(String.init)
            switch (words.first, words.count) {
            case ("queue", 2): out[dnis] = .queue(words[1])
            case ("agent", 2): out[dnis] = .agent(words[1])
            case ("inbox", 1): out[dnis] = .inbox
            default: throw r.error(v, key, "'\(words.joined(separator: " "))' is not a delivery (queue NAME, agent ID, or inbox)")
            }
        }
        return out
    }

    /// Fax deliveries name configured queues and agents; a fax-on-demand application needs a catalogue.
    static func checkFax(_ config: DialtoneConfig, _ r: YAMLReader, faxNode: Node?, refs: References) throws(ConfigError) {
        try checkFaxDeliveries(config, r, faxNode: faxNode)
        if config.fax == nil, let use = refs.applications.first(where: { $0.name == "fax-receive" }) {
            throw r.error(use.node, use.key, "application 'fax-receive' needs a fax section (fax:)")
        }
        for app in config.applications.values.sorted(by: { $0.name < $1.name }) {
            guard case .faxOnDemand = app.kind else { continue }
            guard let fax = config.fax, !(fax.documents.isEmpty && fax.personal.isEmpty) else {
                throw ConfigError(file: r.file, line: app.line ?? 0, column: 1, key: "applications.\(app.name).type",
                                  message: "a fax-on-demand application needs documents in the fax section (fax.documents or fax.personal)")
            }
        }
    }

    private static func checkFaxDeliveries(_ config: DialtoneConfig, _ r: YAMLReader, faxNode: Node?) throws(ConfigError) {
        guard let fax = config.fax, case .mapping(let m)? = faxNode,
              let receive = m.first(where: { $0.key.string == "receive" })?.value, case .mapping(let entries) = receive else { return }
        for (k, v) in entries {
            let dnis = k.string ?? ""
            switch fax.receive[dnis] {
            case .queue(let q)? where config.applications[q]?.queue == nil:
                let queues = config.applications.filter { $0.value.queue != nil }.keys.sorted()
                var message = "no queue named '\(q)'"
                if let near = YAMLReader.closest(q, in: queues) { message += "; did you mean '\(near)'?" }
                throw r.error(v, "fax.receive.\(dnis)", message + " (queues: \(queues.isEmpty ? "none" : queues.joined(separator: ", ")))")
            case .agent(let a)? where !config.agents.contains(where: { $0.id == a }):
                throw r.error(v, "fax.receive.\(dnis)", "no agent '\(a)' in the agents section")
            default: break
            }
        }
    }
}

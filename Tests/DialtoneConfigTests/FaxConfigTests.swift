// SPDX-License-Identifier: GPL-2.0-or-later
// The `fax:` section with real files: a PDF converted by ghostscript to
// 1728-pixel fax pages, TIFFs checked by libtiff, templates read; every
// mistake an error at its line and key naming the file.
import DialtoneConfig
import DialtoneFax
import Foundation
import Testing

@Suite struct FaxConfigTests {
    /// A directory with a config file's neighbours, removed at the end.
    final class Dir {
        let path = NSTemporaryDirectory() + "faxcfg-" + UUID().uuidString
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func write(_ name: String, _ text: String) throws { try text.write(toFile: "\(path)/\(name)", atomically: true, encoding: .utf8) }
        /// `name` made by ghostscript from PostScript pages (`device`: pdfwrite, tiffg4…).
        func make(_ name: String, pages: Int, device: String, extra: [String] = []) throws {
            try write(name + ".ps", (1...pages).map { "%!PS\n/Helvetica findfont 20 scalefont setfont 72 700 moveto (Page \($0)) show showpage\n" }.joined())
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/gs")
            p.arguments = ["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=\(device)"] + extra + ["-sOutputFile=\(path)/\(name)", "\(path)/\(name).ps"]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
    }

    /// The repository's prompts (the queue's music is checked with the files).
    static let prompts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("prompts").path

    func parse(_ dir: Dir, _ body: String, checkFiles: Bool = true) throws(ConfigError) -> DialtoneConfig {
        try ConfigLoader.parse(yaml: """
        spans:
          - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
        applications:
          support: {type: queue}
          fod: {type: fax-on-demand, max_documents: 3}
        agents:
          "1001": {name: Alice, station: "2001", skills: {support: 10}}
        prompts: {directory: \(Self.prompts)}
        \(body)
        """, file: "\(dir.path)/dialtone.yaml", checkFiles: checkFiles)
    }

    func error(_ dir: Dir, _ body: String) -> ConfigError? {
        do { _ = try parse(dir, body); return nil } catch { return error }
    }

    @Test func aCatalogueLoadsWithPDFConvertedTo1728Pixels() throws {
        let dir = Dir()
        try dir.make("prices.pdf", pages: 3, device: "pdfwrite")
        try dir.make("terms.tif", pages: 2, device: "tiffg4", extra: ["-r204x196", "-g1728x2200"])
        try dir.write("statement.txt", "Dear {customer.name},\nyour balance on {date}: {customer.balance}\n")
        let c = try parse(dir, """
        fax:
          spool: spool
          header: ACME Corp
          ident: "+49 30 1234567"
          max_calls: 2
          retry: {attempts: 5, delay: 120}
          documents:
            - {number: "1", name: Price list, file: prices.pdf}
            - {number: "2", name: Terms, file: terms.tif}
          personal:
            - {number: "9", name: Statement, template: statement.txt, key: calling-number}
            - {number: "8", name: Contract, template: statement.txt, key: digits, field: contract}
          receive:
            "5552000": queue support
            "5552001": agent 1001
            "5552002": inbox
        """)
        let fax = try #require(c.fax)
        #expect(fax.spool == "\(dir.path)/spool" && fax.maxCalls == 2 && fax.attempts == 5 && fax.retryDelay == 120)
        #expect(fax.header == "ACME Corp" && fax.ident == "+49 30 1234567")
        #expect(fax.documents.map(\.number) == ["1", "2"] && fax.documents.map(\.pages) == [3, 2])
        let prices = fax.documents[0]
        #expect(prices.file == "\(dir.path)/prices.pdf" && prices.tiff.hasPrefix("\(dir.path)/spool/documents/"))
        let info = try FaxTIFF.validate(prices.tiff).get()
        #expect(info.pages.allSatisfy { $0.width == 1728 })
        #expect(fax.documents[1].tiff == "\(dir.path)/terms.tif")
        #expect(fax.personal.map(\.key) == [.callingNumber, .digits(field: "contract")])
        #expect(fax.personal[0].freeFields == ["customer.balance"] && fax.personal[0].text.hasPrefix("Dear {customer.name}"))
        #expect(fax.receive == ["5552000": .queue("support"), "5552001": .agent("1001"), "5552002": .inbox])
        #expect(fax.entry("9")?.name == "Statement" && fax.entry("7") == nil)
        guard case .faxOnDemand(let f)? = c.applications["fod"]?.kind else { Issue.record("no fax-on-demand"); return }
        #expect(f.maxDocuments == 3 && f.callback)
        // Loaded again (a reload): the conversion in the spool is reused.
        let again = try parse(dir, "fax: {spool: spool, documents: [{number: \"1\", file: prices.pdf}]}")
        #expect(again.fax?.documents[0].tiff == prices.tiff)
    }

    @Test func aBadDocumentIsAnErrorNamingTheFileAndLine() throws {
        let dir = Dir()
        try dir.make("wide.tif", pages: 1, device: "tiffg4", extra: ["-r300", "-g2480x3508"])
        try dir.write("broken.pdf", "%PDF-1.4\nthis is not a PDF\n")
        let body = { (file: String) in """
        fax:
          spool: spool
          documents:
            - {number: "1", file: \(file)}
        """ }
        let wide = try #require(error(dir, body("wide.tif")))
        #expect(wide.line == 12 && wide.key == "fax.documents[0].file")
        #expect(wide.message.contains("\(dir.path)/wide.tif") && wide.message.contains("2480 pixels wide"))
        let broken = try #require(error(dir, body("broken.pdf")))
        #expect(broken.line == 12 && broken.message.contains("broken.pdf") && broken.message.contains("ghostscript"), "\(broken)")
        let missing = try #require(error(dir, body("nothere.tif")))
        #expect(missing.description == "\(dir.path)/dialtone.yaml:12:27: fax.documents[0].file: \(dir.path)/nothere.tif: no such file")
        // Not checked without checkFiles (CLI commands that only need the database path).
        #expect(try parse(dir, body("nothere.tif"), checkFiles: false).fax?.documents[0].pages == 0)
    }

    @Test func templateFieldsAreChecked() throws {
        let dir = Dir()
        try dir.write("typo.txt", "Hello {customer.nmae}\n")
        try dir.write("unknown.txt", "On {today}\n")
        try dir.write("open.txt", "ok\nHello {customer.name\n")
        let body = { (file: String) in "fax:\n  personal:\n    - {number: \"5\", template: \(file)}" }
        #expect(error(dir, body("typo.txt"))?.message == "\(dir.path)/typo.txt: unknown field '{customer.nmae}'; did you mean '{customer.name}'? (fields: \(FaxTemplate.knownFields.joined(separator: ", ")), customer.FIELD of the customer file)")
        #expect(error(dir, body("unknown.txt"))?.message.hasPrefix("\(dir.path)/unknown.txt: unknown field '{today}'") == true)
        #expect(error(dir, body("open.txt"))?.message.hasPrefix("\(dir.path)/open.txt:2: '{' without a closing '}'") == true)
        #expect(error(dir, body("typo.txt"))?.line == 11)
    }

    @Test func mistakesAreErrorsAtTheirKey() throws {
        let dir = Dir()
        try dir.make("a.tif", pages: 1, device: "tiffg4", extra: ["-r204x196", "-g1728x1000"])
        func check(_ body: String, _ key: String, _ contains: String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let e = error(dir, body) else { Issue.record("loaded: \(body)", sourceLocation: sourceLocation); return }
            #expect(e.key == key, sourceLocation: sourceLocation)
            #expect(e.message.contains(contains), "\(e)", sourceLocation: sourceLocation)
        }
        check("fax: {documentz: []}", "fax.documentz", "did you mean 'documents'?")
        check("fax: {documents: [{number: \"1\", file: a.tif}, {number: \"1\", file: a.tif}]}", "fax.documents[1].number", "already used at line 9")
        check("fax: {documents: [{number: \"1x\", file: a.tif}]}", "fax.documents[0].number", "not a dialable number")
        check("fax: {documents: [{name: x, file: a.tif}]}", "fax.documents[0].number", "missing required key 'number'")
        check("fax: {retry: {attempts: 0}}", "fax.retry.attempts", "out of range")
        check("fax: {ident: \"ACME\"}", "fax.ident", "not a T.30 identifier")
        check("fax: {receive: {\"555\": queue suport}}", "fax.receive.555", "did you mean 'support'?")
        check("fax: {receive: {\"555\": agent 9999}}", "fax.receive.555", "no agent '9999'")
        check("fax: {receive: {\"555\": somewhere}}", "fax.receive.555", "not a delivery")
        check("fax: {personal: [{number: \"2\", template: x.txt, key: digit}]}", "fax.personal[0].key", "did you mean 'digits'?")
        check("fax: {personal: [{number: \"2\", template: x.txt, field: account}]}", "fax.personal[0].field", "needs key: digits")
        check("fax: {documents: []}", "applications.fod.type", "needs documents in the fax section")
        check("", "applications.fod.type", "needs documents in the fax section")
        check("routes:\n  - {match: \"555\", application: fax-receive}", "routes[0].application", "needs a fax section")
        #expect(error(dir, "fax: {documents: [{number: \"1\", file: a.tif}]}\nroutes:\n  - {match: \"555\", application: fax-receive}") == nil)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneApps
import DialtoneDaemon
import DialtoneFax
import Foundation

/// `dialtone fax …`: fax jobs and the fax-on-demand catalogue, through the control socket.
struct Fax: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send and broadcast faxes, follow and cancel fax jobs, list the fax catalogue.",
        discussion: """
        dialtone fax send 0301234567 1 /srv/docs/offer.pdf --at 18:00
        dialtone fax broadcast 1 --to numbers.txt          one number a line (# comments)
        dialtone fax broadcast 1 --to 5550001,5550002 --at +30m
        dialtone fax jobs | show JOB | cancel JOB | documents
        Documents are catalogue numbers (fax.documents) or files (TIFF 1728 pixels wide, or PDF): \
        each is checked before anything is dialled. Exit status 1 when the daemon refuses.
        """,
        subcommands: [Send.self, Broadcast.self, Jobs.self, Show.self, Cancel.self, Documents.self])

    /// Sends `line`, prints the error and exits 1 when the daemon refuses, else returns the reply.
    static func ask(_ connection: DaemonConnection, _ line: String, _ what: String) throws -> Data {
        let data = try connection.request(line)
        if let e = try? decoder().decode(ControlErrorReply.self, from: data) {
            printError("dialtone \(what): \(e.error)")
            throw ExitCode(1)
        }
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: "") }
        return data
    }

    static func at(_ text: String?) throws -> String {
        guard let text else { return "" }
        guard let date = FaxRequest.time(text, now: Date()) else {
            throw ValidationError("--at \(text): use HH:MM, 'YYYY-MM-DD HH:MM', ISO 8601 (2026-12-01T14:30:00Z) or +30m / +2h")
        }
        return " at=" + ISO8601DateFormatter().string(from: date)
    }

    /// Files as absolute paths (the daemon reads them); catalogue numbers as they are.
    static func documents(_ docs: [String]) throws -> [String] {
        try docs.map { d in
            guard d.contains("/") || d.contains(".") else { return d }
            let path = d.hasPrefix("/") ? d : FileManager.default.currentDirectoryPath + "/" + d
            guard !path.contains(" ") else { throw ValidationError("\(d): a file path with spaces cannot be sent over the control socket") }
            return path
        }
    }

    static func printJob(_ r: FaxJobReply) {
        let j = r.job
        print("job \(j.id): \(j.kind.rawValue), \(j.state.rawValue), \(j.documents.map { $0.number.isEmpty ? $0.name : $0.number }.joined(separator: " ")) (\(j.pages) pages)")
        print("scheduled \(stamp(j.scheduled)), created \(stamp(j.created))\(j.ended.map { ", ended " + stamp($0) } ?? "")")
        print("destinations: \(r.sent) sent, \(r.failed) failed, \(r.waiting) waiting, \(r.cancelled) cancelled")
    }

    static func stamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: d)
    }

    struct Send: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send documents to one fax number (now or at --at).")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "The fax number (dialled through the dialplan).") var number: String
        @Argument(help: "Catalogue numbers or files (TIFF or PDF).") var documents: [String]
        @Option(help: "When: HH:MM, 'YYYY-MM-DD HH:MM', ISO 8601, or +30m.") var at: String?

        func validate() throws { if documents.isEmpty { throw ValidationError("give at least one document") } }

        func run() throws {
            let data = try Fax.ask(connection, "fax send \(number) \(try Fax.documents(documents).joined(separator: " "))\(try Fax.at(at))", "fax send")
            if !connection.json { Fax.printJob(try decoder().decode(FaxJobReply.self, from: data)) }
        }
    }

    struct Broadcast: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send documents to a list of fax numbers, with per-number retries.")
        @OptionGroup var connection: DaemonConnection
        @Argument(help: "Catalogue numbers or files (TIFF or PDF).") var documents: [String]
        @Option(help: "A file of numbers (one a line) or numbers separated by commas.") var to: String
        @Option(help: "When: HH:MM, 'YYYY-MM-DD HH:MM', ISO 8601, or +30m.") var at: String?

        func validate() throws { if documents.isEmpty { throw ValidationError("give at least one document") } }

        func run() throws {
            var target: String
            if FileManager.default.fileExists(atPath: to) {
                let path = to.hasPrefix("/") ? to : FileManager.default.currentDirectoryPath + "/" + to
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(to): cannot be read") }
                let numbers = FaxRequest.numbers(fromList: String(decoding: data, as: UTF8.self))
                guard !numbers.isEmpty else { throw ValidationError("\(to): no number in the file") }
                let inline = "to=" + numbers.joined(separator: ",")
                // Short lists go in the request; long ones are read by the daemon from the file.
                target = inline.utf8.count < 3000 ? inline : "file=\(path)"
            } else {
                let numbers = FaxRequest.numbers(fromList: to)
                guard !numbers.isEmpty else { throw ValidationError("--to \(to): neither a file nor numbers") }
                target = "to=" + numbers.joined(separator: ",")
            }
            let line = "fax broadcast \(try Fax.documents(documents).joined(separator: " ")) \(target)\(try Fax.at(at))"
            let data = try Fax.ask(connection, line, "fax broadcast")
            if !connection.json { Fax.printJob(try decoder().decode(FaxJobReply.self, from: data)) }
        }
    }

    struct Jobs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fax jobs, newest first, with their destinations' counts.")
        @OptionGroup var connection: DaemonConnection

        func run() throws {
            let data = try Fax.ask(connection, "fax jobs", "fax jobs")
            guard !connection.json else { return }
            let jobs = try decoder().decode([FaxJobReply].self, from: data)
            print(table(["JOB", "KIND", "STATE", "SCHEDULED", "DOCS", "PAGES", "SENT", "FAILED", "WAITING"], jobs.map { r in
                [r.job.id, r.job.kind.rawValue, r.job.state.rawValue, Fax.stamp(r.job.scheduled),
                 r.job.documents.map { $0.number.isEmpty ? $0.name : $0.number }.joined(separator: ","), "\(r.job.pages)",
                 "\(r.sent)", "\(r.failed)", "\(r.waiting)"]
            }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job: each destination's attempts and result (pages, rate, ECM, T.30 code and text).")
        @OptionGroup var connection: DaemonConnection
        @Argument var job: String

        func run() throws {
            let data = try Fax.ask(connection, "fax show \(job)", "fax show")
            guard !connection.json else { return }
            let r = try decoder().decode(FaxJobReply.self, from: data)
            Fax.printJob(r)
            print(table(["#", "NUMBER", "STATE", "TRIES", "CALL", "T.30", "PAGES", "RATE", "ECM", "ENDED", "NEXT"], (r.destinations ?? []).map { d in
                let o = d.result
                return ["\(d.index)", d.number, d.state.rawValue, "\(d.attempts)",
                        o.map { $0.call.rawValue + ($0.cause.map { " (\($0))" } ?? "") } ?? "-",
                        o?.t30Code.map { "\($0) \(o?.t30Text ?? "")" } ?? (o?.t30Text ?? "-"),
                        o.map { "\($0.pages)" } ?? "-", o.map { $0.rate > 0 ? "\($0.rate)" : "-" } ?? "-", o.map { $0.ecm ? "yes" : "no" } ?? "-",
                        d.ended.map(Fax.stamp) ?? "-", d.nextAttempt.map(Fax.stamp) ?? "-"]
            }))
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job: nothing more is dialled, calls up are cleared.")
        @OptionGroup var connection: DaemonConnection
        @Argument var job: String

        func run() throws {
            let data = try Fax.ask(connection, "fax cancel \(job)", "fax cancel")
            if !connection.json { Fax.printJob(try decoder().decode(FaxJobReply.self, from: data)) }
        }
    }

    struct Documents: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The fax-on-demand catalogue with page counts.")
        @OptionGroup var connection: DaemonConnection

        func run() throws {
            let data = try Fax.ask(connection, "fax documents", "fax documents")
            guard !connection.json else { return }
            let docs = try decoder().decode([FaxCatalogueEntry].self, from: data)
            print(table(["NUMBER", "NAME", "KIND", "PAGES", "FILE"], docs.map { d in
                [d.number, d.name, d.kind + (d.key.map { " (\($0))" } ?? ""), d.pages.map(String.init) ?? "-", d.file]
            }))
        }
    }
}

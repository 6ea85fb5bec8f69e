// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneDaemon
import DialtoneStore
import Foundation

/// `dialtone inbox …`: the unified inbox of received faxes (and, with voice
/// mail, voice messages) of an agent or a queue: list, show, export, done.
struct Inbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The unified inbox: received faxes (and voice messages) by agent or queue; list, show, export, mark done.",
        discussion: """
        dialtone inbox list --queue support           what waits for the support queue (--all: with the done ones)
        dialtone inbox show Rcall-12                  one item (KIND:ID or the id)
        dialtone inbox export Rcall-12 --to ~/faxes   copy its file (the fax's PDF)
        dialtone inbox done Rcall-12 --by 1001        mark it done, by whom
        """,
        subcommands: [List.self, Show.self, Export.self, Done.self])

    static func item(_ connection: DaemonConnection, _ id: String, _ what: String) throws -> InboxItem {
        let data = try Fax.ask(connection, "inbox show \(id)", what)
        return try decoder().decode(InboxItem.self, from: data)
    }

    static func printItem(_ i: InboxItem) {
        print("\(i.kind) \(i.id): \(i.summary), from \(i.from) to \(i.to) at \(Fax.stamp(i.time))")
        print("for \(i.agent.map { "agent \($0)" } ?? i.queue.map { "queue \($0)" } ?? "nobody (inbox)"), \(i.state)"
              + (i.handledBy.map { " by \($0)" } ?? "") + (i.handledAt.map { " at \(Fax.stamp($0))" } ?? ""))
        print("file: \(i.file)")
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Items waiting (newest first), of an agent or a queue.")
        @OptionGroup var connection: DaemonConnection
        @Option(help: "Only this agent's items.") var agent: String?
        @Option(help: "Only this queue's items.") var queue: String?
        @Flag(help: "Also the items marked done.") var all = false
        @Option(help: "At most this many.") var limit: Int = 100

        func run() throws {
            var line = "inbox list limit=\(limit)"
            if let agent { line += " agent=\(agent)" }
            if let queue { line += " queue=\(queue)" }
            if all { line += " all" }
            let data = try Fax.ask(connection, line, "inbox list")
            guard !connection.json else { return }
            let items = try decoder().decode([InboxItem].self, from: data)
            print(table(["KIND", "ID", "TIME", "FROM", "TO", "FOR", "WHAT", "STATE", "BY"], items.map { i in
                [i.kind, i.id, Fax.stamp(i.time), i.from, i.to, i.agent.map { "agent \($0)" } ?? i.queue.map { "queue \($0)" } ?? "-",
                 i.summary, i.state, i.handledBy ?? "-"]
            }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One item: who sent it, for whom, its file, who dealt with it.")
        @OptionGroup var connection: DaemonConnection
        @Argument var id: String
        func run() throws {
            let i = try Inbox.item(connection, id, "inbox show")
            if !connection.json { Inbox.printItem(i) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy an item's file (a fax's PDF, a message's WAV) to a directory or file.")
        @OptionGroup var connection: DaemonConnection
        @Argument var id: String
        @Option(help: "Directory or file to copy to (default: the current directory).") var to: String = "."

        func run() throws {
            let i = try Inbox.item(connection, id, "inbox export")
            var isDir: ObjCBool = false
            let target = FileManager.default.fileExists(atPath: to, isDirectory: &isDir) && isDir.boolValue
                ? (to as NSString).appendingPathComponent((i.file as NSString).lastPathComponent) : to
            do {
                if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
                try FileManager.default.copyItem(atPath: i.file, toPath: target)
            } catch {
                printError("dialtone inbox export: \(i.file) → \(target): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            if !connection.json { print(target) }
        }
    }

    struct Done: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an item done, by an agent or a name.")
        @OptionGroup var connection: DaemonConnection
        @Argument var id: String
        @Option(help: "Who dealt with it (default: the user running the command).") var by: String?

        func run() throws {
            let who = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
            guard !who.contains(" "), !who.isEmpty else { throw ValidationError("--by: one word (an agent id or a name)") }
            let data = try Fax.ask(connection, "inbox done \(id) by=\(who)", "inbox done")
            if !connection.json { Inbox.printItem(try decoder().decode(InboxItem.self, from: data)) }
        }
    }
}

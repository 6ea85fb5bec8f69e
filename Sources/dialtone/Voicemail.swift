// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneDaemon
import Foundation

/// `dialtone voicemail`: mailboxes and their messages through the control socket.
struct Voicemail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List mailboxes, show a mailbox's messages, play, export, delete or mark one.",
        discussion: """
        dialtone voicemail                                 every mailbox with its new and old messages
        dialtone voicemail show 1234                       the mailbox's messages (MESSAGE: the file name)
        dialtone voicemail play 1234 MESSAGE               plays it on this host (sox's play)
        dialtone voicemail export 1234 MESSAGE FILE        copies it (WAV) to FILE
        dialtone voicemail delete 1234 MESSAGE             deletes it (file and index)
        dialtone voicemail mark 1234 MESSAGE old|new       moves it to a folder
        With several voice mail applications, write a mailbox as APPLICATION:MAILBOX.
        Exit status 1 when the daemon refuses (the reason is printed).
        """)
    @OptionGroup var connection: DaemonConnection

    @Argument(help: "Command (\(VoicemailRequest.commands.joined(separator: ", "))), the mailbox, then the message and a file or folder.")
    var words: [String] = []

    func validate() throws {
        guard let first = words.first else { return }
        guard VoicemailRequest.commands.contains(first) else {
            throw ValidationError("unknown voicemail command '\(first)' (commands: \(VoicemailRequest.commands.joined(separator: ", ")))")
        }
        let needed = ["list": 1, "show": 2, "play": 3, "delete": 3, "export": 4, "mark": 4][first] ?? 1
        guard words.count == needed else { throw ValidationError("'\(first)' takes \(needed - 1) argument(s)") }
    }

    func run() throws {
        let command = words.first ?? "list"
        switch command {
        case "list":
            let data = try ask("voicemail")
            if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
            let boxes = try decoder().decode([MailboxView].self, from: data)
            print(table(["APPLICATION", "MAILBOX", "OWNER", "NEW", "OLD", "LOCKED"], boxes.map {
                [$0.application, $0.mailbox, $0.owner, "\($0.new)", "\($0.old)", $0.locked ? "yes" : ""]
            }))
        case "show":
            let data = try ask("voicemail show \(words[1])")
            if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
            let messages = try decoder().decode([VoicemailMessageView].self, from: data)
            let time = DateFormatter()
            time.dateFormat = "yyyy-MM-dd HH:mm:ss"
            print(table(["MESSAGE", "FOLDER", "RECEIVED", "FROM", "SECONDS"], messages.map {
                [$0.id, $0.folder, time.string(from: $0.received), $0.caller.isEmpty ? "unknown" : $0.caller, String(format: "%.1f", $0.seconds)]
            }))
        case "play", "export":
            let data = try ask("voicemail show \(words[1])")
            let messages = try decoder().decode([VoicemailMessageView].self, from: data)
            guard let m = messages.first(where: { $0.id == words[2] }) else {
                printError("dialtone voicemail: no message \(words[2]) in mailbox \(words[1])")
                throw ExitCode(1)
            }
            if command == "export" {
                do {
                    if FileManager.default.fileExists(atPath: words[3]) { try FileManager.default.removeItem(atPath: words[3]) }
                    try FileManager.default.copyItem(atPath: m.path, toPath: words[3])
                } catch {
                    printError("dialtone voicemail: cannot export to \(words[3]): \(error.localizedDescription)")
                    throw ExitCode(1)
                }
                print("\(m.id) → \(words[3])")
                return
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/play")
            p.arguments = ["-q", m.path]
            do { try p.run() } catch {
                printError("dialtone voicemail: cannot run /usr/bin/play (sox): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            p.waitUntilExit()
        default:  // delete, mark
            let line = command == "delete" ? "voicemail delete \(words[1]) \(words[2])" : "voicemail mark \(words[1]) \(words[2]) \(words[3])"
            let data = try ask(line)
            if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
            let m = try decoder().decode(VoicemailMessageView.self, from: data)
            print(command == "delete" ? "deleted \(m.id)" : "\(m.id) is \(m.folder)")
        }
    }

    /// The daemon's reply, or exit 1 with its error.
    func ask(_ line: String) throws -> Data {
        let data = try connection.request(line)
        if let e = try? decoder().decode(ControlErrorReply.self, from: data) {
            printError("dialtone voicemail: \(e.error)")
            throw ExitCode(1)
        }
        return data
    }
}

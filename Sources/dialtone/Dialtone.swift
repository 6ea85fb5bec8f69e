// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import Foundation
import Glibc
import Logging

@main
struct Dialtone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dialtone",
        abstract: "Telephony board driver and real-time switching daemon for ISDN PRI call centres.",
        subcommands: [Serve.self, Spans.self, Calls.self, Stats.self, Customers.self, Alarms.self, Reload.self, CheckConfig.self, Loopback.self, Simulate.self, Rescan.self, LineTest.self, Record.self, Recordings.self, Bench.self, CallControl.self, Events.self, Agents.self, Queues.self, Voicemail.self, Fax.self, Inbox.self]
    )

    /// A peer that hangs up on a socket or pipe (a control client, `| head`)
    /// must never kill the process: writes fail with EPIPE instead.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}

/// Options shared by commands that read the config file.
struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = ConfigLoader.defaultPath

    func load() throws -> DialtoneConfig {
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

enum Log {
    static func bootstrap(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        // Under systemd (stderr is the journal): structured entries, call.id and span as fields.
        if ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil, let socket = JournalSocket() {
            LoggingSystem.bootstrap { label in
                var handler = JournaldLogHandler(label: label, socket: socket)
                handler.logLevel = parsed
                return handler
            }
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = ConsoleLogHandler.standardError(label: label)  // swift-log's format, times to the millisecond
            handler.logLevel = parsed
            return handler
        }
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import Foundation
import Logging
import Testing

/// What the looped end-to-end rigs share: a directory of their own, the
/// configuration they start from (two looped E1 spans — `pstn` as CPE,
/// `agents` as NET — and the generated English prompts), and the start.
extension EndToEnd {
    /// A fresh directory for one rig's files (`dialtone-PREFIX-UUID` under the temporary directory).
    static func rigDirectory(_ prefix: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The rig's configuration: its control socket and database in `dir`,
    /// the looped spans and the prompts, then `rest` (top-level sections).
    static func loopbackConfig(_ dir: String, _ rest: String) -> String {
        """
        daemon:
          control_socket: \(dir)/control.sock
          database: \(dir)/cdr.sqlite
          log_level: warning
        spans:
          - {name: pstn, type: E1, role: cpe, switchtype: euroisdn_e1}
          - {name: agents, type: E1, role: net, switchtype: euroisdn_e1}
        prompts:
          directory: \(promptDirectory)
          language: en
        \(rest)
        """
    }

    /// A rig's logger: warnings, unless `DIALTONE_TEST_LOG` names a level.
    static func rigLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["DIALTONE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Writes `config` to `dir/dialtone.yaml`, loads it and builds the daemon
    /// (not started: a rig may subscribe to its events first).
    static func loopbackDaemon(_ dir: String, config: String, label: String) throws -> Daemon {
        try config.write(toFile: "\(dir)/dialtone.yaml", atomically: true, encoding: .utf8)
        return try Daemon(config: try ConfigLoader.load(path: "\(dir)/dialtone.yaml"), logger: rigLogger(label))
    }

    /// The call hears `prompt` (correlation above 0.9 with the prompt's samples, within 20 s from `from`).
    static func expectPrompt(_ daemon: Daemon, _ call: LiveCall, _ prompt: String, from: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async {
        let library = daemon.media.prompts!
        let samples = library.linear(library.id(prompt, language: "en")!, law: call.law)
        let match = await call.waitForAudio(samples, from: from, minimum: 6000, timeout: .seconds(20))
        #expect(match.map { $0.correlation > 0.9 } == true, "\(prompt) not heard: \(match.map { "\($0)" } ?? "no match")",
                sourceLocation: sourceLocation)
    }
}

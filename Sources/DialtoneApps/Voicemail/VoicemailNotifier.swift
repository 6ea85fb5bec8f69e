// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSwitch
import Foundation
import Logging

/// Tells the world about messages: `mailbox.message` and `mailbox.waiting`
/// on the event stream, a log line, the mailbox's notify command (run
/// without a shell, the details in its environment) and an e-mail through
/// the local MTA's sendmail interface with the WAV attached.
public struct VoicemailNotifier: Sendable {
    let application: String
    let config: VoicemailConfig
    let events: EventStream
    let logger: Logger

    public init(application: String, config: VoicemailConfig, events: EventStream, logger: Logger) {
        self.application = application
        self.config = config
        self.events = events
        self.logger = logger
    }

    /// A new message was indexed.
    func newMessage(_ m: VoicemailMessage, owner: MailboxConfig?, new: Int, old: Int) {
        var e = SwitchEvent(.mailboxMessage, call: m.callID)
        e.application = application
        e.mailbox = m.mailbox
        e.number = m.caller
        e.path = m.path
        e.seconds = m.seconds
        e.newMessages = new
        e.oldMessages = old
        events.publish(e)
        waiting(mailbox: m.mailbox, new: new, old: old)
        guard let owner else { return }
        let env = environment(m, owner: owner, new: new, old: old)
        if !owner.notify.isEmpty { run(owner.notify, environment: env, what: "notify command", input: nil) }
        if let to = owner.email {
            let mail = VoicemailMail.compose(message: m, owner: owner, to: to, from: config.from, new: new)
            run([config.sendmail, "-t"], environment: [:], what: "sendmail", input: mail)
        }
    }

    /// The mailbox's counts changed (message-waiting).
    func waiting(mailbox: String, new: Int, old: Int) {
        var e = SwitchEvent(.mailboxWaiting)
        e.application = application
        e.mailbox = mailbox
        e.newMessages = new
        e.oldMessages = old
        events.publish(e)
        logger.info("mailbox waiting", metadata: ["application": "\(application)", "mailbox": "\(mailbox)",
                                                 "new": "\(new)", "old": "\(old)"])
    }

    /// The message's details for the notify command (docs/voicemail.md).
    func environment(_ m: VoicemailMessage, owner: MailboxConfig, new: Int, old: Int) -> [String: String] {
        let iso = ISO8601DateFormatter()
        return [
            "VM_APPLICATION": application, "VM_MAILBOX": m.mailbox, "VM_OWNER": owner.owner, "VM_CALLER": m.caller,
            "VM_CALL_ID": m.callID, "VM_PATH": m.path, "VM_SECONDS": String(format: "%.1f", m.seconds),
            "VM_RECEIVED": iso.string(from: m.received), "VM_NEW": "\(new)", "VM_OLD": "\(old)",
        ]
    }

    /// Runs a program (no shell) off the actor; its exit status is logged.
    func run(_ argv: [String], environment: [String: String], what: String, input: Data?) {
        let logger = self.logger
        Task.detached {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: argv[0])
            p.arguments = Array(argv.dropFirst())
            var env = ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"]
            for (k, v) in environment { env[k] = v }
            p.environment = env
            let stdin = Pipe()
            p.standardInput = input == nil ? FileHandle.nullDevice : stdin
            p.standardOutput = FileHandle.nullDevice
            do {
                try p.run()
                if let input {
                    try? stdin.fileHandleForWriting.write(contentsOf: input)
                    try? stdin.fileHandleForWriting.close()
                }
                p.waitUntilExit()
                if p.terminationStatus != 0 {
                    logger.warning("voice mail \(what) failed", metadata: ["program": "\(argv[0])", "status": "\(p.terminationStatus)"])
                } else {
                    logger.info("voice mail \(what) done", metadata: ["program": "\(argv[0])"])
                }
            } catch {
                logger.warning("voice mail \(what) not run", metadata: ["program": "\(argv[0])", "error": "\(error)"])
            }
        }
    }
}

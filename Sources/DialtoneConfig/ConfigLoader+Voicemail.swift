// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

extension ConfigLoader {
    static let voicemailKeys = ["type", "directory", "max_message", "min_message", "max_messages", "silence", "max_pin_failures", "lockout",
                                "sendmail", "from", "mailboxes"]
    static let mailboxKeys = ["owner", "pin", "email", "notify", "max_message", "min_message", "max_messages", "language", "queue"]

    /// `{type: voicemail, mailboxes: {"1234": {owner: …, pin: …}}, …}`.
    static func parseVoicemail(_ m: [String: (key: Node, value: Node)], _ path: String, _ r: YAMLReader,
                               _ refs: References) throws(ConfigError) -> VoicemailConfig {
        var v = VoicemailConfig()
        if let x = m["directory"] { v.directory = try self.path(x.value, "\(path).directory", r) }
        if let x = m["max_message"] { v.maxMessageSeconds = try r.double(x.value, "\(path).max_message", range: 5...3600, unit: "s") }
        if let x = m["min_message"] { v.minMessageSeconds = try r.double(x.value, "\(path).min_message", range: 0...60, unit: "s") }
        if let x = m["silence"] { v.silenceSeconds = try r.double(x.value, "\(path).silence", range: 0...60, unit: "s") }
        if let x = m["max_messages"] { v.maxMessages = try r.int(x.value, "\(path).max_messages", range: 1...10_000) }
        if let x = m["max_pin_failures"] { v.maxPINFailures = try r.int(x.value, "\(path).max_pin_failures", range: 1...20) }
        if let x = m["lockout"] { v.lockoutSeconds = try r.double(x.value, "\(path).lockout", range: 0...86_400 * 7, unit: "s") }
        if let x = m["sendmail"] { v.sendmail = try self.path(x.value, "\(path).sendmail", r) }
        if let x = m["from"] { v.from = try r.string(x.value, "\(path).from") }
        if v.minMessageSeconds >= v.maxMessageSeconds {
            throw r.error(m["min_message"]?.value, "\(path).min_message",
                          "min_message (\(v.minMessageSeconds) s) must be shorter than max_message (\(v.maxMessageSeconds) s)")
        }
        if let t = m["type"] {
            for p in VoicemailConfig.prompts { refs.prompts.append(PromptUse(node: t.value, key: "\(path).type", name: p, language: nil)) }
        }
        guard let boxes = m["mailboxes"] else {
            throw r.error(m["type"]?.value, "\(path).mailboxes", "missing required key 'mailboxes' (a mapping of mailbox numbers to mailboxes)")
        }
        if YAMLReader.isNull(boxes.value) { return v }
        guard case .mapping(let entries) = boxes.value else {
            throw r.error(boxes.value, "\(path).mailboxes", "expected a mapping of mailbox numbers to mailboxes, got \(r.describe(boxes.value))")
        }
        for (keyNode, value) in entries {
            let number = keyNode.string ?? ""
            let key = "\(path).mailboxes.\(number)"
            guard (1...16).contains(number.count), number.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw r.error(keyNode, key, "'\(number)' is not a mailbox number (1 to 16 digits; quote it to keep leading zeros)")
            }
            if v.mailboxes[number] != nil { throw r.error(keyNode, key, "mailbox '\(number)' appears twice") }
            v.mailboxes[number] = try mailbox(number, value, key, r, refs)
            v.mailboxes[number]?.line = keyNode.mark?.line
        }
        return v
    }

    private static func mailbox(_ number: String, _ node: Node, _ path: String, _ r: YAMLReader,
                                _ refs: References) throws(ConfigError) -> MailboxConfig {
        let m = try r.mapping(node, path, allowed: mailboxKeys)
        var b = MailboxConfig(number: number)
        if let x = m["owner"] { b.owner = try r.string(x.value, "\(path).owner") }
        if let x = m["pin"] {
            let pin = try r.string(x.value, "\(path).pin")
            guard (4...12).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw r.error(x.value, "\(path).pin", "a PIN is 4 to 12 digits (quote it to keep leading zeros)")
            }
            b.pin = pin
        }
        if let x = m["email"] {
            let mail = try r.string(x.value, "\(path).email")
            let parts = mail.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
                  mail.allSatisfy({ $0.isASCII && !$0.isWhitespace && !"<>,;\"".contains($0) }) else {
                throw r.error(x.value, "\(path).email", "'\(mail)' is not an e-mail address (user@host.domain)")
            }
            b.email = mail
        }
        if let x = m["notify"] {
            if case .sequence = x.value {
                b.notify = try r.sequence(x.value, "\(path).notify").enumerated().map { (i, n) throws(ConfigError) in
                    try r.string(n, "\(path).notify[\(i)]")
                }
            } else {
                b.notify = [try self.path(x.value, "\(path).notify", r)]
            }
            guard let exe = b.notify.first, exe.hasPrefix("/") else {
                throw r.error(x.value, "\(path).notify", "the notify command is an absolute path to a program, then its arguments (no shell)")
            }
        }
        if let x = m["max_message"] { b.maxMessageSeconds = try r.double(x.value, "\(path).max_message", range: 5...3600, unit: "s") }
        if let x = m["min_message"] { b.minMessageSeconds = try r.double(x.value, "\(path).min_message", range: 0...60, unit: "s") }
        if let x = m["max_messages"] { b.maxMessages = try r.int(x.value, "\(path).max_messages", range: 1...10_000) }
        if let x = m["language"] {
            let l = try languageName(x.value, "\(path).language", r)
            refs.languageUses.append((x.value, "\(path).language", l))
            b.language = l
        }
        if let x = m["queue"] {
            let q = try r.string(x.value, "\(path).queue")
            refs.mailboxQueues.append((x.value, "\(path).queue", q))
            b.queue = q
        }
        return b
    }

    /// A voice mail application's argument: a mailbox it has, `login` or `login NUMBER`.
    static func checkVoicemailArgument(_ v: VoicemailConfig, name: String, argument: String) -> String? {
        switch VoicemailArgument.parse(argument) {
        case nil:
            return "voice mail '\(name)': '\(argument)' is not an argument (a mailbox number, 'login' or 'login NUMBER')"
        case .leave(let n), .login(let n?):
            guard v.mailboxes[n] == nil else { return nil }
            var message = "voice mail '\(name)' has no mailbox '\(n)'"
            if let near = YAMLReader.closest(n, in: v.mailboxes.keys.sorted()) { message += "; did you mean '\(near)'?" }
            return message
        case .login(nil):
            return nil
        }
    }

    /// Every group mailbox names a queue.
    static func checkMailboxQueues(_ config: DialtoneConfig, _ refs: References, _ r: YAMLReader) throws(ConfigError) {
        let queues = config.applications.values.filter { $0.queue != nil }.map(\.name).sorted()
        for use in refs.mailboxQueues where !queues.contains(use.name) {
            var message = "no queue named '\(use.name)'"
            if let near = YAMLReader.closest(use.name, in: queues) { message += "; did you mean '\(near)'?" }
            throw r.error(use.node, use.key, message + " (queues: \(queues.isEmpty ? "none" : queues.joined(separator: ", ")))")
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSwitch
import Foundation
import Logging

/// The message index and the mailboxes' PINs: read once at start, after a
/// recovery pass over the files; every change written through the storage.
extension VoicemailApplication {
    /// Once, before the first call or view: the index and states from the
    /// storage (the store writer has replayed its journal by then), the
    /// files reconciled with the index, configured PINs hashed in.
    func prepare() {
        guard !prepared else { return }
        prepared = true
        for s in storage.states(application: name) { states[s.mailbox] = s }
        let indexed = storage.messages(application: name)
        let report = recover(indexed)
        for m in report.kept { messages[m.mailbox, default: []].append(m) }
        for k in messages.keys { messages[k]?.sort { $0.received < $1.received } }
        if report.recovered + report.removed + report.dropped > 0 {
            logger.notice("voice mail recovered", metadata: ["application": "\(name)", "recovered": "\(report.recovered)",
                                                            "removed": "\(report.removed)", "dropped": "\(report.dropped)"])
        }
        hashConfiguredPINs()
    }

    /// A configured PIN replaces the stored one when the config's PIN
    /// changed (a PIN the owner set by phone stays until then).
    func hashConfiguredPINs() {
        for (box, b) in config.mailboxes {
            guard let pin = b.pin else { continue }
            var s = states[box] ?? MailboxState(application: name, mailbox: box)
            if let seen = s.configPINHash, PINHash.verify(pin, against: seen), s.pinHash != nil { continue }
            guard let hash = PINHash.make(pin) else {
                logger.error("mailbox PIN not hashed (libxcrypt)", metadata: ["mailbox": "\(box)"])
                continue
            }
            s.pinHash = hash
            s.configPINHash = hash
            save(s)
        }
    }

    struct RecoveryReport {
        var kept: [VoicemailMessage] = []
        var recovered = 0, removed = 0, dropped = 0
    }

    /// Index entries whose file is gone or unreadable are dropped; finished
    /// files not indexed are indexed; temp files with enough audio become
    /// messages, the rest are removed; greetings half recorded are removed.
    func recover(_ indexed: [VoicemailMessage]) -> RecoveryReport {
        var r = RecoveryReport()
        var known = Set<String>()
        for m in indexed {
            if let info = try? WAVFile.inspect(path: m.path), info.dataBytes > 0 {
                r.kept.append(m)
                known.insert(m.path)
            } else {
                storage.apply(.removed(path: m.path))
                r.dropped += 1
                logger.warning("voice mail index entry without a usable file dropped", metadata: ["path": "\(m.path)"])
            }
        }
        let fm = FileManager.default
        for box in config.mailboxes.keys.sorted() {
            let dir = files.mailboxDirectory(box)
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            let minimum = config.limits(config.mailboxes[box]!).min
            for file in names.sorted() where file.hasSuffix(".wav") {
                let path = "\(dir)/\(file)"
                if file.hasPrefix("rec-") {
                    unlink(path)
                    r.removed += 1
                } else if file.hasPrefix("tmp-"), let parsed = MailboxFiles.parse(file) {
                    let received = ((try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? now()
                    let seconds = files.trim(path, minimum: minimum)
                    guard fm.fileExists(atPath: path),
                          let final = files.finalise(path, box: box, received: received, call: parsed.call, caller: parsed.caller) else {
                        r.removed += 1
                        continue
                    }
                    let m = VoicemailMessage(application: name, mailbox: box, path: final, caller: parsed.caller,
                                             callID: parsed.call, received: received, seconds: seconds)
                    storage.apply(.indexed(m))
                    r.kept.append(m)
                    known.insert(final)
                    r.recovered += 1
                } else if file.hasPrefix("msg-"), !known.contains(path), let parsed = MailboxFiles.parse(file) {
                    guard let info = try? WAVFile.inspect(path: path), info.dataBytes > 0 else {
                        unlink(path)
                        r.removed += 1
                        continue
                    }
                    let m = VoicemailMessage(application: name, mailbox: box, path: path, caller: parsed.caller,
                                             callID: parsed.call, received: parsed.received ?? now(), seconds: info.seconds)
                    storage.apply(.indexed(m))
                    r.kept.append(m)
                    r.recovered += 1
                }
            }
        }
        return r
    }

    /// The PIN check: right (with the messages), wrong (locking the mailbox after too many), or locked.
    func checkPIN(_ box: String, _ pin: String) -> VoicemailSession.PINResult {
        guard config.mailboxes[box] != nil, var s = states[box], let hash = s.pinHash else { return .wrong(locked: false) }
        if let until = s.lockedUntil, until > now() {
            logger.notice("locked mailbox: login refused", metadata: ["mailbox": "\(box)"])
            return .locked
        }
        if PINHash.verify(pin, against: hash) {
            if s.failures != 0 || s.lockedUntil != nil {
                s.failures = 0
                s.lockedUntil = nil
                save(s)
            }
            let all = messages[box] ?? []
            func env(_ m: VoicemailMessage) -> VoicemailSession.Envelope { .init(path: m.path, caller: m.caller, received: m.received) }
            logger.info("mailbox login", metadata: ["mailbox": "\(box)"])
            return .right(new: all.filter { $0.folder == .new }.map(env), old: all.filter { $0.folder == .old }.map(env))
        }
        s.failures += 1
        s.lockedUntil = nil
        let locked = s.failures >= config.maxPINFailures
        if locked {
            s.lockedUntil = now().addingTimeInterval(config.lockoutSeconds)
            s.failures = 0
            logger.warning("mailbox locked after wrong PINs", metadata: ["mailbox": "\(box)", "seconds": "\(config.lockoutSeconds)"])
        } else {
            logger.notice("wrong mailbox PIN", metadata: ["mailbox": "\(box)", "failures": "\(s.failures)"])
        }
        save(s)
        return .wrong(locked: locked)
    }

    func save(_ s: MailboxState) {
        states[s.mailbox] = s
        storage.apply(.state(s))
    }

    /// A new message: indexed, then announced (events, log, command, e-mail).
    func index(_ m: VoicemailMessage) {
        messages[m.mailbox, default: []].append(m)
        storage.apply(.indexed(m))
        logger.notice("voice mail message", metadata: ["application": "\(name)", "mailbox": "\(m.mailbox)", "call.id": "\(m.callID)",
                                                      "caller": "\(m.caller)", "seconds": "\(String(format: "%.1f", m.seconds))",
                                                      "path": "\(m.path)"])
        let counts = self.counts(m.mailbox)
        notifier.newMessage(m, owner: config.mailboxes[m.mailbox], new: counts.new, old: counts.old)
        if let queue = config.mailboxes[m.mailbox]?.queue, let deliver = groupDelivery {
            Task { await deliver(queue, m) }
        }
    }

    func counts(_ box: String) -> (new: Int, old: Int) {
        let all = messages[box] ?? []
        let new = all.filter { $0.folder == .new }.count
        return (new, all.count - new)
    }

    func move(_ path: String, to folder: VoicemailMessage.Folder, box: String) {
        guard let i = messages[box]?.firstIndex(where: { $0.path == path }), messages[box]![i].folder != folder else { return }
        messages[box]![i].folder = folder
        storage.apply(.moved(path: path, folder: folder))
        let c = counts(box)
        notifier.waiting(mailbox: box, new: c.new, old: c.old)
    }

    /// The file first, then the entry (a crash between leaves an entry the recovery drops).
    func delete(_ path: String, box: String) {
        guard messages[box]?.contains(where: { $0.path == path }) == true else { return }
        unlink(path)
        messages[box]?.removeAll { $0.path == path }
        storage.apply(.removed(path: path))
        let c = counts(box)
        notifier.waiting(mailbox: box, new: c.new, old: c.old)
    }

    // MARK: Control (control socket, CLI)

    /// Marks a message heard or new (`dialtone voicemail mark`).
    public func mark(mailbox: String, path: String, folder: VoicemailMessage.Folder) -> Bool {
        prepare()
        guard messages[mailbox]?.contains(where: { $0.path == path }) == true else { return false }
        move(path, to: folder, box: mailbox)
        return true
    }

    /// Deletes a message (`dialtone voicemail delete`).
    public func delete(mailbox: String, path: String) -> Bool {
        prepare()
        guard messages[mailbox]?.contains(where: { $0.path == path }) == true else { return false }
        delete(path, box: mailbox)
        return true
    }
}

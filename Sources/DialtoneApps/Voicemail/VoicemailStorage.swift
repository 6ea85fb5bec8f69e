// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSwitch
import Foundation

/// What voice mail keeps outside itself: the message index and the
/// mailboxes' PIN and lock states. The daemon gives it the store (changes
/// through the store writer: journaled, never lost with a locked
/// database); tests may give it memory. Reads happen once, at start; the
/// application keeps the index in memory and writes every change through.
public protocol VoicemailStorage: Sendable {
    func messages(application: String) -> [VoicemailMessage]
    func states(application: String) -> [MailboxState]
    /// Queues a change (returns at once).
    func apply(_ change: VoicemailChange)
}

/// Storage in memory (tests).
public final class MemoryVoicemailStorage: VoicemailStorage, @unchecked Sendable {
    private let lock = NSLock()
    private var index: [VoicemailMessage] = []
    private var boxes: [String: MailboxState] = [:]

    public init() {}

    public func messages(application: String) -> [VoicemailMessage] { lock.withLock { index.filter { $0.application == application } } }
    public func states(application: String) -> [MailboxState] {
        lock.withLock { boxes.values.filter { $0.application == application } }
    }
    public func apply(_ change: VoicemailChange) {
        lock.withLock {
            switch change {
            case .indexed(let m): if !index.contains(where: { $0.path == m.path }) { index.append(m) }
            case .moved(let path, let folder): for i in index.indices where index[i].path == path { index[i].folder = folder }
            case .removed(let path): index.removeAll { $0.path == path }
            case .state(let s): boxes["\(s.application)/\(s.mailbox)"] = s
            case .handled: break  // the inbox's business (the store), not the mailbox's
            }
        }
    }
}

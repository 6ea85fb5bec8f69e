// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging

/// Voice mail's storage in the daemon: the index and mailbox states read
/// from the database at start; every change through the store writer
/// (journaled while the database is locked, never lost).
final class StoreVoicemailStorage: VoicemailStorage {
    let store: Store
    let writer: StoreWriter
    let logger: Logger

    init(store: Store, writer: StoreWriter, logger: Logger) {
        self.store = store
        self.writer = writer
        self.logger = logger
    }

    func messages(application: String) -> [VoicemailMessage] {
        do { return try store.voicemailMessages(application: application) } catch {
            logger.error("voice mail index not read", metadata: ["application": "\(application)", "error": "\(error)"])
            return []
        }
    }

    func states(application: String) -> [MailboxState] {
        do { return try store.mailboxStates(application: application) } catch {
            logger.error("mailbox states not read", metadata: ["application": "\(application)", "error": "\(error)"])
            return []
        }
    }

    func apply(_ change: VoicemailChange) { writer.voicemail(change) }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSwitch
import Foundation
import GRDB

extension Store {
    /// Voice mail (docs/voicemail.md §Storage). Registered after v6-queue.
    static func registerVoicemailMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v7-voicemail") { db in
            try db.create(table: "voicemail_message") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("application", .text).notNull()
                t.column("mailbox", .text).notNull()
                t.column("path", .text).notNull().unique()
                t.column("folder", .text).notNull()   // new | old
                t.column("caller", .text).notNull()
                t.column("call_id", .text).notNull()
                t.column("received_time", .datetime).notNull()
                t.column("seconds", .double).notNull()
            }
            try db.create(index: "voicemail_message_box", on: "voicemail_message", columns: ["application", "mailbox", "received_time"])
            try db.create(table: "mailbox_state") { t in
                t.column("application", .text).notNull()
                t.column("mailbox", .text).notNull()
                t.column("pin_hash", .text)
                t.column("config_pin_hash", .text)
                t.column("failures", .integer).notNull().defaults(to: 0)
                t.column("locked_until", .datetime)
                t.primaryKey(["application", "mailbox"])
            }
        }
    }

    /// The messages of a voice mail application (every mailbox), oldest first.
    public func voicemailMessages(application: String) throws(StoreError) -> [VoicemailMessage] {
        try run("read voice mail messages") {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT application, mailbox, path, folder, caller, call_id, received_time, seconds FROM voicemail_message
                    WHERE application = ? ORDER BY received_time, id
                    """, arguments: [application]).map { row in
                    VoicemailMessage(application: row["application"], mailbox: row["mailbox"], path: row["path"],
                                     folder: VoicemailMessage.Folder(rawValue: row["folder"]) ?? .old, caller: row["caller"],
                                     callID: row["call_id"], received: row["received_time"], seconds: row["seconds"])
                }
            }
        }
    }

    /// The mailboxes' PIN and lock states of a voice mail application.
    public func mailboxStates(application: String) throws(StoreError) -> [MailboxState] {
        try run("read mailbox states") {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT application, mailbox, pin_hash, config_pin_hash, failures, locked_until FROM mailbox_state
                    WHERE application = ?
                    """, arguments: [application]).map { row in
                    MailboxState(application: row["application"], mailbox: row["mailbox"], pinHash: row["pin_hash"],
                                 configPINHash: row["config_pin_hash"], failures: row["failures"], lockedUntil: row["locked_until"])
                }
            }
        }
    }
}

extension VoicemailChange {
    /// Carries the change out inside the store writer's transaction.
    func apply(_ db: Database) throws {
        switch self {
        case .indexed(let m):
            try db.execute(sql: """
                INSERT OR IGNORE INTO voicemail_message (application, mailbox, path, folder, caller, call_id, received_time, seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [m.application, m.mailbox, m.path, m.folder.rawValue, m.caller, m.callID,
                                 StoredDate.databaseValue(m.received), m.seconds])
        case .moved(let path, let folder):
            try db.execute(sql: "UPDATE voicemail_message SET folder = ? WHERE path = ?", arguments: [folder.rawValue, path])
        case .removed(let path):
            try db.execute(sql: "DELETE FROM voicemail_message WHERE path = ?", arguments: [path])
        case .state(let s):
            try db.execute(sql: """
                INSERT OR REPLACE INTO mailbox_state (application, mailbox, pin_hash, config_pin_hash, failures, locked_until)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [s.application, s.mailbox, s.pinHash, s.configPINHash, s.failures,
                                 StoredDate.databaseValue(s.lockedUntil)])
        case .handled(let path, let by, let at):
            try db.execute(sql: "UPDATE voicemail_message SET handled_by = ?, handled_at = ? WHERE path = ? AND handled_by IS NULL",
                           arguments: [by, StoredDate.databaseValue(at), path])
        }
    }
}

extension StoreWriter {
    /// Queues a voice mail index change (never blocks; journaled while the database is unavailable).
    public func voicemail(_ change: VoicemailChange, durable: (@Sendable () -> Void)? = nil) {
        enqueue(.voicemail(change), then: durable)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax
import Foundation
import GRDB

/// One entry of the unified inbox: a received fax or (with voice mail) a
/// voice message, as the CLI lists it. Each source maps its rows to this.
public struct InboxItem: Sendable, Codable, Equatable {
    /// The source: `fax`; voice mail adds `voice`.
    public var kind: String
    public var id: String
    public var time: Date
    /// Who it is from (calling number) and where it came in (DNIS or mailbox).
    public var from: String
    public var to: String
    public var agent: String?
    public var queue: String?
    /// `3 pages`, `0:42`…
    public var summary: String
    /// The file to export (the fax's PDF, else its TIFF; a message's WAV).
    public var file: String
    public var state: String
    public var handledBy: String?
    public var handledAt: Date?

    public init(kind: String, id: String, time: Date, from: String, to: String, agent: String?, queue: String?,
                summary: String, file: String, state: String, handledBy: String?, handledAt: Date?) {
        self.kind = kind
        self.id = id
        self.time = time
        self.from = from
        self.to = to
        self.agent = agent
        self.queue = queue
        self.summary = summary
        self.file = file
        self.state = state
        self.handledBy = handledBy
        self.handledAt = handledAt
    }
}

/// Which inbox entries to list.
public struct InboxFilter: Sendable, Equatable, Codable {
    public var agent: String?
    public var queue: String?
    /// Also those marked done.
    public var includeDone: Bool
    public var limit: Int

    public init(agent: String? = nil, queue: String? = nil, includeDone: Bool = false, limit: Int = 100) {
        self.agent = agent
        self.queue = queue
        self.includeDone = includeDone
        self.limit = limit
    }
}

/// A source of inbox entries: its kind and how it reads them (newest first, at most `limit`).
public struct InboxSource: Sendable {
    public var kind: String
    public var read: @Sendable (Database, InboxFilter) throws -> [InboxItem]
}

extension Store {
    /// Every source of the unified inbox. Voice mail appends its own (kind `voice`).
    static let inboxSources: [InboxSource] = [InboxSource(kind: "fax", read: faxInbox), InboxSource(kind: "voice", read: voiceInbox)]

    /// `v9-inbox`: who dealt with a voice message and when (the unified inbox's `done`).
    static func registerInboxMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v9-inbox") { db in
            try db.alter(table: "voicemail_message") { t in
                t.add(column: "handled_by", .text)
                t.add(column: "handled_at", .datetime)
            }
        }
    }

    /// Voice messages as inbox entries. A group mailbox's message is its
    /// queue's work: the queue and the agent who took it are read from the
    /// queue log (its ENTERQUEUE and CONNECT lines for the message's id).
    @Sendable static func voiceInbox(_ db: Database, _ f: InboxFilter) throws -> [InboxItem] {
        var clauses: [String] = []
        var args: [DatabaseValueConvertible] = []
        if !f.includeDone { clauses.append("handled_by IS NULL") }
        if let a = f.agent { clauses.append("agent = ?"); args.append(a) }
        if let q = f.queue { clauses.append("queue = ?"); args.append(q) }
        args.append(f.limit)
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try Row.fetchAll(db, sql: """
            SELECT * FROM (SELECT m.*,
                (SELECT q.queue FROM queue_event q WHERE q.call_id = m.call_id AND q.event = 'ENTERQUEUE' ORDER BY q.time LIMIT 1) AS queue,
                (SELECT q.agent FROM queue_event q WHERE q.call_id = m.call_id AND q.event = 'CONNECT' ORDER BY q.time DESC LIMIT 1) AS agent
              FROM voicemail_message m)\(filter) ORDER BY received_time DESC, id DESC LIMIT ?
            """, arguments: StatementArguments(args)).map { row in
            let seconds: Double = row["seconds"]
            let handledBy: String? = row["handled_by"]
            let path: String = row["path"]
            return InboxItem(kind: "voice", id: (path as NSString).lastPathComponent, time: row["received_time"], from: row["caller"],
                             to: "\(row["application"] as String):\(row["mailbox"] as String)", agent: row["agent"], queue: row["queue"],
                             summary: String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60), file: path,
                             state: handledBy == nil ? "new" : "done", handledBy: handledBy, handledAt: row["handled_at"])
        }
    }

    /// The unified inbox: every source's entries matching `filter`, newest first.
    public func inbox(_ filter: InboxFilter = InboxFilter()) throws(StoreError) -> [InboxItem] {
        try run("read inbox") {
            try writer.read { db in
                let all = try Self.inboxSources.flatMap { try $0.read(db, filter) }
                return Array(all.sorted { ($0.time, $0.kind, $0.id) > ($1.time, $1.kind, $1.id) }.prefix(filter.limit))
            }
        }
    }

    /// One entry, by kind and id.
    public func inboxItem(kind: String, id: String) throws(StoreError) -> InboxItem? {
        try inbox(InboxFilter(includeDone: true, limit: .max)).first { $0.kind == kind && $0.id == id }
    }

    @Sendable static func faxInbox(_ db: Database, _ f: InboxFilter) throws -> [InboxItem] {
        var clauses: [String] = []
        var args: [DatabaseValueConvertible] = []
        if !f.includeDone { clauses.append("state = 'new'") }
        if let a = f.agent { clauses.append("agent = ?"); args.append(a) }
        if let q = f.queue { clauses.append("queue = ?"); args.append(q) }
        args.append(f.limit)
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try Row.fetchAll(db, sql: "SELECT * FROM fax_received\(filter) ORDER BY time DESC, id DESC LIMIT ?",
                                arguments: StatementArguments(args))
            .compactMap(ReceivedFax.init(row:)).map(\.inboxItem)
    }
}

extension ReceivedFax {
    /// The fax as an inbox entry.
    public var inboxItem: InboxItem {
        var summary = "\(pages) page\(pages == 1 ? "" : "s")"
        if let code = t30Code, code != T30Code.ok { summary += ", T.30 \(code): \(t30Text ?? "?")" }
        return InboxItem(kind: "fax", id: id, time: time, from: calling, to: dnis, agent: agent, queue: queue, summary: summary,
                         file: pdfPath ?? tiffPath, state: state.rawValue, handledBy: handledBy, handledAt: handledAt)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import GRDB

/// Queue events (`queue_event`) and the ACD's saved state (`acd_state`);
/// both are written through the ``StoreWriter`` (``StoreOp/queueEvent(_:)``,
/// ``StoreOp/acdSnapshot(key:json:time:)``) and read here.
extension Store {
    /// Queue events with `from` ≤ time < `to` (either bound optional), of
    /// `queue` and/or `agent` when given, in time order (then as written).
    public func queueEvents(from: Date? = nil, to: Date? = nil, queue: String? = nil,
                            agent: String? = nil) throws(StoreError) -> [QueueEvent] {
        try run("read queue events") {
            try writer.read { db in
                var clauses: [String] = []
                var args: [DatabaseValueConvertible] = []
                if let from { clauses.append("time >= ?"); args.append(StoredDate.databaseValue(from)) }
                if let to { clauses.append("time < ?"); args.append(StoredDate.databaseValue(to)) }
                if let queue { clauses.append("queue = ?"); args.append(queue) }
                if let agent { clauses.append("agent = ?"); args.append(agent) }
                let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
                let rows = try Row.fetchCursor(db, sql: "SELECT time, call_id, queue, agent, event, data FROM queue_event"
                                                    + filter + " ORDER BY time, id", arguments: StatementArguments(args))
                var out: [QueueEvent] = []
                // An event name this version does not know (written by a newer one) is left out.
                while let row = try rows.next() { if let e = QueueEvent(stored: row) { out.append(e) } }
                return out
            }
        }
    }

    /// How many queue events are stored.
    public func queueEventCount() throws(StoreError) -> Int {
        try run("count queue events") { try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM queue_event") ?? 0 } }
    }

    /// The ACD state saved under `key` and when, if any.
    public func acdSnapshot(key: String) throws(StoreError) -> (json: String, time: Date)? {
        try run("read ACD state") {
            try writer.read { db in
                try Row.fetchOne(db, sql: "SELECT json, updated_time FROM acd_state WHERE key = ?", arguments: [key])
                    .map { (json: $0["json"], time: $0["updated_time"]) }
            }
        }
    }

    /// Every saved ACD state document by key.
    public func acdSnapshots() throws(StoreError) -> [String: String] {
        try run("read ACD state") {
            try writer.read { db in
                var out: [String: String] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT key, json FROM acd_state") { out[row["key"]] = row["json"] }
                return out
            }
        }
    }
}

extension QueueEvent {
    private static let insertSQL = "INSERT OR IGNORE INTO queue_event (time, call_id, queue, agent, event, data) VALUES (?, ?, ?, ?, ?, ?)"

    /// The `data` column: a JSON array of strings.
    var dataJSON: String {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return (try? e.encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    /// Inserts the row unless the same event is stored already (a replay).
    func insertOrIgnore(_ db: Database) throws {
        try db.cachedStatement(sql: Self.insertSQL).execute(arguments: [
            StoredDate.databaseValue(time), callID, queue, agent, kind.rawValue, dataJSON])
    }

    init?(stored row: Row) {
        guard let kind = Kind(rawValue: row["event"]) else { return nil }
        let json: String = row["data"]
        let data = (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
        self.init(time: row["time"], callID: row["call_id"], queue: row["queue"], agent: row["agent"], kind: kind, data: data)
    }
}

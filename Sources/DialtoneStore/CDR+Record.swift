// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSwitch
import Foundation
import GRDB

/// CDRs are rows of the `cdr` table (one per call; `call_id` is unique, so a
/// CDR replayed from the journal is stored once).
extension CDR: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "cdr"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Recordings are rows of the `recording` table, keyed by their call id and path.
extension RecordingRow: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "recording"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A call that is up, kept in `live_call` until its CDR is stored; what is
/// left there at start-up belongs to calls a crash interrupted.
struct LiveCall: FetchableRecord, PersistableRecord {
    static let databaseTableName = "live_call"
    var start: CallStart
    /// The last time the daemon was known to be running with this call up.
    var lastSeen: Date

    init(start: CallStart, lastSeen: Date) {
        self.start = start
        self.lastSeen = lastSeen
    }

    init(row: Row) throws {
        start = CallStart(callID: row["call_id"], startTime: row["start_time"], ani: row["ani"], aniPlan: row["ani_plan"],
                          aniPresentation: row["ani_presentation"], dnis: row["dnis"], inSpan: row["in_span"],
                          inChannel: row["in_channel"])
        lastSeen = row["last_seen"]
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["call_id"] = start.callID
        container["start_time"] = start.startTime
        container["ani"] = start.ani
        container["ani_plan"] = start.aniPlan
        container["ani_presentation"] = start.aniPresentation
        container["dnis"] = start.dnis
        container["in_span"] = start.inSpan
        container["in_channel"] = start.inChannel
        container["last_seen"] = lastSeen
    }
}

extension Store {
    public func write(_ recording: RecordingRow) throws(StoreError) {
        try run("write recording", callID: recording.callID) { try writer.write { db in try recording.insert(db) } }
    }

    /// Recordings of a call (or the latest ones), newest first.
    public func recordings(callID: String? = nil, limit: Int = 100) throws(StoreError) -> [RecordingRow] {
        try run("read recordings") {
            try writer.read { db in
                var q = RecordingRow.order(Column("start_time").desc, Column("id").desc)
                if let callID { q = q.filter(Column("call_id") == callID) }
                return try q.limit(limit).fetchAll(db)
            }
        }
    }

    /// Whether a recording file is indexed.
    public func isIndexed(recording path: String) throws(StoreError) -> Bool {
        try run("read recordings") {
            try writer.read { db in try RecordingRow.filter(Column("path") == path).fetchCount(db) > 0 }
        }
    }
}

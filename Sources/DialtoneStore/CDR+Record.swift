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

extension CDR {
    /// The `cdr` columns a CDR fills, in the order of ``storedValues``; the
    /// same row as GRDB's `insert` (Codable) writes (`StoreTests` compares them).
    static let storedColumns = ["call_id", "start_time", "answer_time", "end_time", "ani", "dnis", "dialed", "in_span",
                                "in_channel", "out_span", "out_channel", "cause", "cause_text", "duration_ms",
                                "disposition", "variables", "ivr_path", "ani_plan", "ani_presentation", "ani_restricted"]

    var storedValues: [DatabaseValue] {
        [callID.databaseValue, StoredDate.databaseValue(startTime), StoredDate.databaseValue(answerTime),
         StoredDate.databaseValue(endTime), ani.databaseValue, dnis.databaseValue, dialed.databaseValue,
         inSpan.databaseValue, inChannel.databaseValue, outSpan.databaseValue, outChannel.databaseValue,
         cause.databaseValue, causeText.databaseValue, durationMs.databaseValue, disposition.databaseValue,
         variables.databaseValue, ivrPath.databaseValue, aniPlan.databaseValue, aniPresentation.databaseValue,
         aniRestricted.databaseValue]
    }

    private static let insertOrIgnoreSQL = "INSERT OR IGNORE INTO cdr (\(storedColumns.joined(separator: ", "))) VALUES ("
        + Array(repeating: "?", count: storedColumns.count).joined(separator: ", ") + ")"

    /// Inserts the row (its `id` left to SQLite) unless the call's CDR is
    /// already stored, by a statement prepared once per connection.
    func insertOrIgnore(_ db: Database) throws {
        try db.cachedStatement(sql: Self.insertOrIgnoreSQL).execute(arguments: StatementArguments(storedValues))
    }
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

    private static let insertSQL = """
        INSERT OR IGNORE INTO live_call (call_id, start_time, ani, ani_plan, ani_presentation, dnis, in_span, in_channel, last_seen)
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM cdr WHERE call_id = ?)
        """
    private static let deleteSQL = "DELETE FROM live_call WHERE call_id = ?"

    /// Inserts the row unless the call is already live or its CDR already
    /// stored (a start replayed after its CDR), by a statement prepared once
    /// per connection.
    func insertUnlessEnded(_ db: Database) throws {
        let startTime = StoredDate.databaseValue(start.startTime)
        let values: [DatabaseValue] = [
            start.callID.databaseValue, startTime, start.ani.databaseValue, start.aniPlan.databaseValue,
            start.aniPresentation.databaseValue, start.dnis.databaseValue, start.inSpan.databaseValue,
            start.inChannel.databaseValue, lastSeen == start.startTime ? startTime : StoredDate.databaseValue(lastSeen),
            start.callID.databaseValue]
        try db.cachedStatement(sql: Self.insertSQL).execute(arguments: StatementArguments(values))
    }

    /// Removes the call's row, if any.
    static func delete(callID: String, _ db: Database) throws {
        try db.cachedStatement(sql: deleteSQL).execute(arguments: [callID])
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

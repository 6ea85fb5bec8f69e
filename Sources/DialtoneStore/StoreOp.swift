// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneFax
import DialtoneSwitch
import Foundation
import GRDB

/// One change the store writer makes: what the switch hands over, as it is
/// queued, journaled (one JSON line each, docs/store.md) and applied. Every
/// operation is idempotent, so replaying the journal stores each record once.
public enum StoreOp: Sendable, Equatable {
    /// A call was taken: kept in `live_call` until its CDR is stored.
    case callStarted(CallStart)
    /// A call ended: its CDR is stored and its `live_call` row removed.
    case cdr(CDR)
    /// A recording was closed (or found after a crash): indexed once by path.
    case recording(RecordingRow)
    /// The daemon is alive with these calls up (the `last_seen` of interrupted calls).
    case alive(Date)
    /// A queue or agent event of the ACD: stored once (`queue_event`) and appended to the queue_log file.
    case queueEvent(QueueEvent)
    /// The ACD's state under `key` (a JSON document), replaced as a whole (`acd_state`).
    case acdSnapshot(key: String, json: String, time: Date)
    /// A change to the voice mail index or a mailbox's state (`voicemail_message`, `mailbox_state`).
    case voicemail(VoicemailChange)
    /// A fax job, destination or received fax (whole rows, replaced), or a received fax marked done.
    case fax(FaxStoreRecord)

    /// How many of `ops` are records (call starts, CDRs, recordings), not liveness marks.
    static func records(_ ops: [StoreOp]) -> Int {
        ops.reduce(0) { n, op in if case .alive = op { n } else { n + 1 } }
    }

    var callID: String? {
        switch self {
        case .callStarted(let s): s.callID
        case .cdr(let c): c.callID
        case .recording(let r): r.callID
        case .queueEvent(let e): e.callID == "NONE" ? nil : e.callID
        case .alive, .acdSnapshot, .fax: nil
        case .voicemail(let c): if case .indexed(let m) = c { m.callID } else { nil }
        }
    }

    /// Carries the operation out inside the caller's transaction.
    func apply(_ db: Database) throws {
        switch self {
        case .callStarted(let start):
            // A call whose CDR is already stored (a replayed start) is not live again.
            try LiveCall(start: start, lastSeen: start.startTime).insertUnlessEnded(db)
        case .cdr(let cdr):
            try cdr.insertOrIgnore(db)
            try LiveCall.delete(callID: cdr.callID, db)
        case .recording(var row):
            row.id = nil
            if try RecordingRow.filter(Column("path") == row.path).fetchCount(db) == 0 { try row.insert(db) }
        case .alive(let date):
            try db.execute(sql: "UPDATE live_call SET last_seen = ? WHERE last_seen < ?", arguments: [date, date])
        case .queueEvent(let event):
            try event.insertOrIgnore(db)
        case .acdSnapshot(let key, let json, let time):
            try db.execute(sql: "INSERT OR REPLACE INTO acd_state (key, json, updated_time) VALUES (?, ?, ?)",
                           arguments: [key, json, StoredDate.databaseValue(time)])
        case .voicemail(let change):
            try change.apply(db)
        case .fax(let record):
            try record.apply(db)
        }
    }
}

/// The journal's line format: `{"op":"cdr","v":1,"data":{…}}`.
extension StoreOp: Codable {
    enum CodingKeys: String, CodingKey { case op, v, data }
    // Names are only ever added: old journals stay readable.
    enum Name: String, Codable { case start, cdr, recording, alive, queue, acd, vm, fax }
    enum SnapshotKeys: String, CodingKey { case key, json, time }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(Name.self, forKey: .op) {
        case .start: self = .callStarted(try c.decode(CallStart.self, forKey: .data))
        case .cdr: self = .cdr(try c.decode(CDR.self, forKey: .data))
        case .recording: self = .recording(try c.decode(RecordingRow.self, forKey: .data))
        case .alive: self = .alive(try c.decode(Date.self, forKey: .data))
        case .queue: self = .queueEvent(try c.decode(QueueEvent.self, forKey: .data))
        case .vm: self = .voicemail(try c.decode(VoicemailChange.self, forKey: .data))
        case .fax: self = .fax(try c.decode(FaxStoreRecord.self, forKey: .data))
        case .acd:
            let d = try c.nestedContainer(keyedBy: SnapshotKeys.self, forKey: .data)
            self = .acdSnapshot(key: try d.decode(String.self, forKey: .key), json: try d.decode(String.self, forKey: .json),
                                time: try d.decode(Date.self, forKey: .time))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .v)
        switch self {
        case .callStarted(let s): try c.encode(Name.start, forKey: .op); try c.encode(s, forKey: .data)
        case .cdr(let r): try c.encode(Name.cdr, forKey: .op); try c.encode(r, forKey: .data)
        case .recording(let r): try c.encode(Name.recording, forKey: .op); try c.encode(r, forKey: .data)
        case .alive(let d): try c.encode(Name.alive, forKey: .op); try c.encode(d, forKey: .data)
        case .queueEvent(let e): try c.encode(Name.queue, forKey: .op); try c.encode(e, forKey: .data)
        case .voicemail(let v): try c.encode(Name.vm, forKey: .op); try c.encode(v, forKey: .data)
        case .fax(let r): try c.encode(Name.fax, forKey: .op); try c.encode(r, forKey: .data)
        case .acdSnapshot(let key, let json, let time):
            try c.encode(Name.acd, forKey: .op)
            var d = c.nestedContainer(keyedBy: SnapshotKeys.self, forKey: .data)
            try d.encode(key, forKey: .key)
            try d.encode(json, forKey: .json)
            try d.encode(time, forKey: .time)
        }
    }
}

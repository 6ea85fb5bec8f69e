// SPDX-License-Identifier: GPL-2.0-or-later
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

    /// How many of `ops` are records (call starts, CDRs, recordings), not liveness marks.
    static func records(_ ops: [StoreOp]) -> Int {
        ops.reduce(0) { n, op in if case .alive = op { n } else { n + 1 } }
    }

    var callID: String? {
        switch self {
        case .callStarted(let s): s.callID
        case .cdr(let c): c.callID
        case .recording(let r): r.callID
        case .alive: nil
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
        }
    }
}

/// The journal's line format: `{"op":"cdr","v":1,"data":{…}}`.
extension StoreOp: Codable {
    enum CodingKeys: String, CodingKey { case op, v, data }
    enum Name: String, Codable { case start, cdr, recording, alive }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(Name.self, forKey: .op) {
        case .start: self = .callStarted(try c.decode(CallStart.self, forKey: .data))
        case .cdr: self = .cdr(try c.decode(CDR.self, forKey: .data))
        case .recording: self = .recording(try c.decode(RecordingRow.self, forKey: .data))
        case .alive: self = .alive(try c.decode(Date.self, forKey: .data))
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
        }
    }
}

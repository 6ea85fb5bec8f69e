// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax
import Foundation
import GRDB

/// What the fax application hands the store writer: whole rows, replaced
/// (so a journal replayed twice stores each once), and an inbox mark.
public enum FaxStoreRecord: Sendable, Equatable, Codable {
    case job(FaxJob)
    case destination(FaxDestination)
    case received(ReceivedFax)
    /// A received fax dealt with: by whom and when (kept if already done).
    case handled(id: String, by: String, at: Date)

    func apply(_ db: Database) throws {
        switch self {
        case .job(let j):
            // An upsert, not INSERT OR REPLACE: a replace deletes the row first, and the
            // foreign key's cascade would take the job's destinations with it.
            try db.execute(sql: """
                INSERT INTO fax_job (id, kind, documents, scheduled_time, created_time, state, origin, ended_time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, documents = excluded.documents,
                  scheduled_time = excluded.scheduled_time, created_time = excluded.created_time, state = excluded.state,
                  origin = excluded.origin, ended_time = excluded.ended_time
                """, arguments: [j.id, j.kind.rawValue, Self.json(j.documents), StoredDate.databaseValue(j.scheduled),
                                 StoredDate.databaseValue(j.created), j.state.rawValue, j.origin, StoredDate.databaseValue(j.ended)])
        case .destination(let d):
            let r = d.result
            // A destination saved before its job (never by the application; a hand-made journal) is kept out.
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM fax_job WHERE id = ?", arguments: [d.job]) == true else { return }
            try db.execute(sql: """
                INSERT OR REPLACE INTO fax_destination (job, idx, number, state, attempts, next_attempt, call_result, cause,
                  t30_code, t30_text, pages, rate, ecm, started_time, ended_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [d.job, d.index, d.number, d.state.rawValue, d.attempts, StoredDate.databaseValue(d.nextAttempt),
                                 r?.call.rawValue, r?.cause, r?.t30Code, r?.t30Text, r?.pages ?? 0, r?.rate ?? 0, r?.ecm ?? false,
                                 StoredDate.databaseValue(d.started), StoredDate.databaseValue(d.ended)])
        case .received(let f):
            try db.execute(sql: """
                INSERT OR REPLACE INTO fax_received (id, time, call_id, calling, dnis, pages, tiff_path, pdf_path, t30_code, t30_text,
                  rate, ecm, agent, queue, state, handled_by, handled_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [f.id, StoredDate.databaseValue(f.time), f.callID, f.calling, f.dnis, f.pages, f.tiffPath, f.pdfPath,
                                 f.t30Code, f.t30Text, f.rate, f.ecm, f.agent, f.queue, f.state.rawValue, f.handledBy,
                                 StoredDate.databaseValue(f.handledAt)])
        case .handled(let id, let by, let at):
            try db.execute(sql: "UPDATE fax_received SET state = 'done', handled_by = ?, handled_time = ? WHERE id = ? AND state != 'done'",
                           arguments: [by, StoredDate.databaseValue(at), id])
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}

extension StoreWriter {
    /// Queues a fax row (never blocks); `durable` runs once it is in the database or the journal.
    public func fax(_ record: FaxStoreRecord, durable: (@Sendable () -> Void)? = nil) {
        enqueue(.fax(record), then: durable)
    }
}

/// Reading fax jobs and received faxes (written through ``StoreWriter/fax(_:durable:)``).
extension Store {
    /// Jobs, newest first (`limit` of them), or only those not final (`open`).
    public func faxJobs(open: Bool = false, limit: Int = 100) throws(StoreError) -> [FaxJob] {
        try run("read fax jobs") {
            try writer.read { db in
                let filter = open ? " WHERE state IN ('scheduled', 'active')" : ""
                return try Row.fetchAll(db, sql: "SELECT * FROM fax_job\(filter) ORDER BY created_time DESC, id DESC LIMIT ?",
                                        arguments: [limit]).compactMap(FaxJob.init(row:))
            }
        }
    }

    /// One job and its destinations in order.
    public func faxJob(_ id: String) throws(StoreError) -> (job: FaxJob, destinations: [FaxDestination])? {
        try run("read fax job") {
            try writer.read { db in
                guard let job = try Row.fetchOne(db, sql: "SELECT * FROM fax_job WHERE id = ?", arguments: [id]).flatMap(FaxJob.init(row:)) else {
                    return nil
                }
                let ds = try Row.fetchAll(db, sql: "SELECT * FROM fax_destination WHERE job = ? ORDER BY idx", arguments: [id])
                    .compactMap(FaxDestination.init(row:))
                return (job, ds)
            }
        }
    }

    /// What the scheduler takes back at start: jobs not final and their destinations.
    public func openFaxJobs() throws(StoreError) -> (jobs: [FaxJob], destinations: [FaxDestination]) {
        try run("read open fax jobs") {
            try writer.read { db in
                let jobs = try Row.fetchAll(db, sql: "SELECT * FROM fax_job WHERE state IN ('scheduled', 'active') OR (state = 'cancelled' AND ended_time IS NULL)")
                    .compactMap(FaxJob.init(row:))
                var ds: [FaxDestination] = []
                for j in jobs {
                    ds += try Row.fetchAll(db, sql: "SELECT * FROM fax_destination WHERE job = ? ORDER BY idx", arguments: [j.id])
                        .compactMap(FaxDestination.init(row:))
                }
                return (jobs, ds)
            }
        }
    }

    /// A received fax by id.
    public func receivedFax(_ id: String) throws(StoreError) -> ReceivedFax? {
        try run("read received fax") {
            try writer.read { db in try Row.fetchOne(db, sql: "SELECT * FROM fax_received WHERE id = ?", arguments: [id]).flatMap(ReceivedFax.init(row:)) }
        }
    }
}

extension FaxJob {
    init?(row: Row) {
        guard let kind = Kind(rawValue: row["kind"]), let state = State(rawValue: row["state"]) else { return nil }
        let docs = (try? JSONDecoder().decode([FaxDocumentRef].self, from: Data((row["documents"] as String).utf8))) ?? []
        self.init(id: row["id"], kind: kind, documents: docs, scheduled: row["scheduled_time"], created: row["created_time"],
                  state: state, origin: row["origin"], ended: row["ended_time"])
    }
}

extension FaxDestination {
    init?(row: Row) {
        guard let state = State(rawValue: row["state"]) else { return nil }
        var result: FaxOutcome?
        if let call = (row["call_result"] as String?).flatMap(FaxOutcome.Call.init(rawValue:)) {
            result = FaxOutcome(call: call, cause: row["cause"], t30Code: row["t30_code"], t30Text: row["t30_text"],
                                pages: row["pages"], rate: row["rate"], ecm: row["ecm"])
        }
        self.init(job: row["job"], index: row["idx"], number: row["number"], state: state, attempts: row["attempts"],
                  nextAttempt: row["next_attempt"], result: result, started: row["started_time"], ended: row["ended_time"])
    }
}

extension ReceivedFax {
    init?(row: Row) {
        guard let state = State(rawValue: row["state"]) else { return nil }
        self.init(id: row["id"], time: row["time"], callID: row["call_id"], calling: row["calling"], dnis: row["dnis"],
                  pages: row["pages"], tiffPath: row["tiff_path"], pdfPath: row["pdf_path"], t30Code: row["t30_code"],
                  t30Text: row["t30_text"], rate: row["rate"], ecm: row["ecm"], agent: row["agent"], queue: row["queue"],
                  state: state, handledBy: row["handled_by"], handledAt: row["handled_time"])
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSwitch
import Foundation
import GRDB

/// Dialtone's SQLite database (GRDB): the schema by migrations, and CDRs.
///
/// Every method throws ``StoreError``; a CDR that cannot be written (disk
/// full, I/O error) is the caller's to log, never a reason to drop a call.
public final class Store: Sendable {
    let writer: any DatabaseWriter
    /// The database file, or nil for an in-memory store.
    public let path: String?

    /// Opens (creating it and its parent directories if needed) the database
    /// file at `path` in WAL journal mode, and migrates it to the current schema.
    /// `busyTimeout`: how long a statement waits for another process's lock
    /// before failing with `.busy` (the store writer keeps it short and
    /// journals instead of waiting).
    public init(path: String, busyTimeout: TimeInterval = 5) throws(StoreError) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw StoreError(code: .cannotOpen, operation: "create directory", path: path, message: "\(error.localizedDescription)")
        }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            // A commit survives a power cut; the WAL is cut back after checkpoints.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA journal_size_limit = \(Store.walLimit)")
        }
        do {
            writer = try DatabasePool(path: path, configuration: config)  // a pool is always WAL
        } catch {
            throw StoreError(error, operation: "open", callID: nil, path: path)
        }
        try migrate()
    }

    /// An in-memory database (tests).
    public init() throws(StoreError) {
        path = nil
        do { writer = try DatabaseQueue() } catch { throw StoreError(error, operation: "open", callID: nil, path: nil) }
        try migrate()
    }

    /// The schema, one registered migration per change; never edit a shipped one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-cdr") { db in
            try db.create(table: "cdr") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("call_id", .text).notNull().unique()
                t.column("start_time", .datetime).notNull()
                t.column("answer_time", .datetime)
                t.column("end_time", .datetime).notNull()
                t.column("ani", .text).notNull()
                t.column("dnis", .text).notNull()
                t.column("dialed", .text)
                t.column("in_span", .text).notNull()
                t.column("in_channel", .integer).notNull()
                t.column("out_span", .text)
                t.column("out_channel", .integer)
                t.column("cause", .integer).notNull()
                t.column("cause_text", .text).notNull()
                t.column("duration_ms", .integer).notNull()
                t.column("disposition", .text).notNull()
            }
            try db.create(index: "cdr_start_time", on: "cdr", columns: ["start_time"])
        }
        m.registerMigration("v2-cdr-ivr") { db in
            try db.alter(table: "cdr") { t in
                t.add(column: "variables", .text)
                t.add(column: "ivr_path", .text)
            }
        }
        m.registerMigration("v3-recording") { db in
            try db.create(table: "recording") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("call_id", .text).notNull().indexed()
                t.column("path", .text).notNull()
                t.column("format", .text).notNull()
                t.column("layout", .text).notNull()
                t.column("start_time", .datetime).notNull()
                t.column("end_time", .datetime).notNull()
                t.column("duration_ms", .integer).notNull()
                t.column("bytes", .integer).notNull()
                t.column("complete", .boolean).notNull()
                t.column("problem", .text)
            }
        }
        m.registerMigration("v4-durable") { db in
            try db.alter(table: "cdr") { t in
                t.add(column: "ani_plan", .integer)
                t.add(column: "ani_presentation", .integer)
                t.add(column: "ani_restricted", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "live_call") { t in
                t.primaryKey("call_id", .text)
                t.column("start_time", .datetime).notNull()
                t.column("ani", .text).notNull()
                t.column("ani_plan", .integer)
                t.column("ani_presentation", .integer)
                t.column("dnis", .text).notNull()
                t.column("in_span", .text).notNull()
                t.column("in_channel", .integer).notNull()
                t.column("last_seen", .datetime).notNull()
            }
            try db.create(index: "recording_path", on: "recording", columns: ["path"])
        }
        registerACDMigrations(&m)  // v5-customer, v6-queue (Store+ACDSchema.swift)
        registerVoicemailMigrations(&m)  // v7-voicemail (Store+Voicemail.swift)
        registerFaxMigrations(&m)  // v8-fax (Store+FaxSchema.swift); v7-voicemail goes before it
        registerInboxMigrations(&m)  // v9-inbox (Store+Inbox.swift)
        return m
    }

    /// The WAL is truncated to this size after a checkpoint (bytes).
    static let walLimit = 1 << 20

    /// Applies `ops` in one transaction (all or none).
    public func apply(_ ops: [StoreOp]) throws(StoreError) {
        guard !ops.isEmpty else { return }
        try run("write \(ops.count) records", callID: ops.count == 1 ? ops[0].callID : nil) {
            try writer.write { db in for op in ops { try op.apply(db) } }
        }
    }

    /// Copies the WAL into the database, so the files stay bounded; `.busy`
    /// when a reader or another process holds it up (retried later). With
    /// `truncate`, the WAL file is then cut to nothing; without, the next
    /// commit writes the WAL again from its start, over the same blocks
    /// (SQLite cuts it to ``walLimit`` when it restarts it), which spares
    /// a truncation, its fsync, and regrowing the file commit by commit.
    public func checkpoint(truncate: Bool = true) throws(StoreError) {
        _ = try run("checkpoint") {
            try writer.writeWithoutTransaction { db in try db.checkpoint(truncate ? .truncate : .passive) }
        }
    }

    /// Calls left in `live_call` (a crash interrupted them): their CDRs, ended
    /// at the last sign of life, are stored and the rows removed. Returns them.
    public func closeInterruptedCalls() throws(StoreError) -> [CDR] {
        try run("close interrupted calls") {
            try writer.write { db in
                let live = try LiveCall.fetchAll(db)
                var written: [CDR] = []
                for l in live {
                    let cdr = l.start.interrupted(lastSeen: l.lastSeen)
                    try StoreOp.cdr(cdr).apply(db)
                    written.append(cdr)
                }
                return written
            }
        }
    }

    /// `PRAGMA integrity_check`: "ok" or SQLite's findings.
    public func integrityCheck() throws(StoreError) -> String {
        try run("integrity check") {
            try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
        }
    }

    private func migrate() throws(StoreError) {
        try run("migrate") { try Store.migrator.migrate(writer) }
    }

    func run<T>(_ operation: String, callID: String? = nil, _ body: () throws -> T) throws(StoreError) -> T {
        do { return try body() } catch { throw StoreError(error, operation: operation, callID: callID, path: path) }
    }

    /// Inserts a CDR. Throws ``StoreError`` (`.constraint` for a repeated call id,
    /// `.full` / `.ioError` when the disk fails); the caller logs and goes on.
    public func write(_ cdr: CDR) throws(StoreError) {
        try run("write CDR", callID: cdr.callID) { try writer.write { db in try cdr.insert(db) } }
    }

    /// The latest `limit` CDRs, newest (by start time) first.
    public func cdrs(limit: Int = 100) throws(StoreError) -> [CDR] {
        try run("read CDRs") {
            try writer.read { db in try CDR.order(Column("start_time").desc, Column("id").desc).limit(limit).fetchAll(db) }
        }
    }

    /// The CDR of one call, if written.
    public func cdr(callID: String) throws(StoreError) -> CDR? {
        try run("read CDR", callID: callID) { try writer.read { db in try CDR.filter(Column("call_id") == callID).fetchOne(db) } }
    }

    /// How many CDRs there are.
    public func count() throws(StoreError) -> Int {
        try run("count CDRs") { try writer.read { db in try CDR.fetchCount(db) } }
    }

    /// How many CDRs there are of calls that started at `start` or later
    /// (with `disposition`, when given): committed rows only.
    public func count(since start: Date, disposition: CDR.Disposition? = nil) throws(StoreError) -> Int {
        try run("count CDRs") {
            try writer.read { db in
                var request = CDR.filter(Column("start_time") >= start)
                if let disposition { request = request.filter(Column("disposition") == disposition.rawValue) }
                return try request.fetchCount(db)
            }
        }
    }
}

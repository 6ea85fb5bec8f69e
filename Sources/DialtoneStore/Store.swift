// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB

/// A store failure with its SQLite code and what was being done.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var operation: String
    public var message: String
    /// SQLITE_FULL: the disk (or quota) is full.
    public var isDiskFull: Bool { code == 13 }
    public var description: String { "store: \(operation) failed (SQLite \(code)): \(message)" }
}

/// Dialtone's SQLite database (GRDB): schema by migrations, CDRs.
public final class Store: Sendable {
    private let writer: any DatabaseWriter
    public let path: String?

    /// Opens (creating if needed) the database file at `path`, WAL mode.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(5)
        do {
            writer = try DatabasePool(path: path, configuration: config)
        } catch let e as DatabaseError {
            throw StoreError(code: e.resultCode.rawValue, operation: "open \(path)", message: e.message ?? "\(e)")
        }
        self.path = path
        try migrate()
    }

    /// An in-memory database (tests).
    public init() throws {
        writer = try DatabaseQueue()
        path = nil
        try migrate()
    }

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
        return m
    }

    private func migrate() throws {
        do { try Store.migrator.migrate(writer) } catch let e as DatabaseError {
            throw StoreError(code: e.resultCode.rawValue, operation: "migrate", message: e.message ?? "\(e)")
        }
    }

    private func wrap<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatabaseError {
            throw StoreError(code: e.resultCode.rawValue, operation: operation, message: e.message ?? "\(e)")
        }
    }

    /// Inserts a CDR. Throws ``StoreError`` (e.g. disk full); the caller logs and goes on.
    public func write(_ cdr: CDR) throws {
        try wrap("write CDR \(cdr.callID)") { try writer.write { db in try cdr.insert(db) } }
    }

    /// Newest first.
    public func cdrs(limit: Int = 100) throws -> [CDR] {
        try wrap("read CDRs") {
            try writer.read { db in try CDR.order(Column("start_time").desc, Column("id").desc).limit(limit).fetchAll(db) }
        }
    }

    public func cdr(callID: String) throws -> CDR? {
        try wrap("read CDR \(callID)") { try writer.read { db in try CDR.filter(Column("call_id") == callID).fetchOne(db) } }
    }

    public func count() throws -> Int {
        try wrap("count CDRs") { try writer.read { db in try CDR.fetchCount(db) } }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneStore
import DialtoneSwitch
import Foundation
import GRDB
import Testing

@Suite struct StoreTests {
    /// A scratch directory removed when the test ends.
    final class TempDir {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-store-\(UUID().uuidString)")
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    }

    func sample(_ id: String, answered: Bool = true, start: TimeInterval = 1_800_000_000) -> CDR {
        let start = Date(timeIntervalSince1970: start)
        return CDR(callID: id, startTime: start, answerTime: answered ? start.addingTimeInterval(2) : nil,
                   endTime: start.addingTimeInterval(32), ani: "4155550100", dnis: "5551000", dialed: answered ? "5551000" : nil,
                   inSpan: "pstn", inChannel: 31, outSpan: answered ? "agents" : nil, outChannel: answered ? 31 : nil,
                   cause: 16, causeText: "normal clearing", durationMs: answered ? 30_000 : 0,
                   disposition: answered ? "answered" : "cancelled")
    }

    @Test func migratesToTheDocumentedSchema() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("cdr.sqlite"))
        let (columns, notNull, indexes) = try store.writer.read { db in
            let info = try Row.fetchAll(db, sql: "PRAGMA table_info(cdr)")
            return (info.map { $0["name"] as String }, Set(info.filter { $0["notnull"] as Int == 1 }.map { $0["name"] as String }),
                    try Row.fetchAll(db, sql: "PRAGMA index_list(cdr)").map { $0["name"] as String })
        }
        #expect(columns == ["id", "call_id", "start_time", "answer_time", "end_time", "ani", "dnis", "dialed", "in_span",
                            "in_channel", "out_span", "out_channel", "cause", "cause_text", "duration_ms", "disposition",
                            "variables", "ivr_path", "ani_plan", "ani_presentation", "ani_restricted"])
        #expect(notNull.isDisjoint(with: ["answer_time", "dialed", "out_span", "out_channel", "variables", "ivr_path", "ani_plan", "ani_presentation"]))
        #expect(notNull.isSuperset(of: ["call_id", "start_time", "end_time", "cause", "duration_ms", "disposition"]))
        #expect(indexes.contains("cdr_start_time"))
        #expect(try store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func writeReadBackReopen() throws {
        let dir = TempDir()
        let path = dir.path("sub/dir/cdr.sqlite")  // parent directories are created
        do {
            let store = try Store(path: path)
            try store.write(sample("a-1"))
            try store.write(sample("a-2", answered: false, start: 1_800_000_060))
            #expect(try store.count() == 2)
            var expected = sample("a-1")
            expected.id = 1
            #expect(try store.cdr(callID: "a-1") == expected)
            #expect(try store.cdr(callID: "missing") == nil)
        }
        let reopened = try Store(path: path)
        #expect(reopened.path == path)
        #expect(try reopened.count() == 2)
        #expect(try reopened.cdrs(limit: 10).map(\.callID) == ["a-2", "a-1"])  // newest first
        #expect(try reopened.cdrs(limit: 1).map(\.callID) == ["a-2"])
        let unanswered = try #require(try reopened.cdr(callID: "a-2"))
        #expect(unanswered.answerTime == nil && unanswered.dialed == nil && unanswered.outSpan == nil && unanswered.outChannel == nil)
        #expect(unanswered.durationMs == 0 && unanswered.disposition == "cancelled")
    }

    @Test func ivrInputAndPathRoundTrip() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("cdr.sqlite"))
        var cdr = sample("ivr-1")
        cdr = CDR(callID: cdr.callID, startTime: cdr.startTime, answerTime: cdr.answerTime, endTime: cdr.endTime, ani: cdr.ani,
                  dnis: "5552000", dialed: "5551005", inSpan: "pstn", inChannel: 1, outSpan: "agents", outChannel: 31,
                  cause: 16, causeText: "normal clearing", durationMs: 30_000, disposition: "answered",
                  variables: ["customer": "123456", "lang": "en"], ivrPath: ["menu:main", "3", "customer=123456"])
        try store.write(cdr)
        let back = try #require(try store.cdrs(limit: 10).first)
        #expect(back.variables == #"{"customer":"123456","lang":"en"}"#)
        #expect(back.variableValues == ["customer": "123456", "lang": "en"])
        #expect(back.ivrPath == "menu:main 3 customer=123456")
        try store.write(sample("plain"))
        let plain = try #require(try store.cdrs(limit: 10).first { $0.callID == "plain" })
        #expect(plain.variables == nil && plain.ivrPath == nil && plain.variableValues.isEmpty)
    }

    /// The writer's prepared INSERT writes the row GRDB's Codable insert
    /// writes, every column (a field added to `CDR` fails here until
    /// `CDR.storedColumns` has it).
    @Test func cachedCDRInsertWritesTheRowGRDBWrites() throws {
        let store = try Store()
        let full = CDR(callID: "full", startTime: Date(timeIntervalSince1970: 1_800_000_000.1234),
                       answerTime: Date(timeIntervalSince1970: 1_800_000_002.5), endTime: Date(timeIntervalSince1970: 1_800_000_032.0005),
                       ani: "4155550100", aniPlan: 0x21, aniPresentation: 0x23, dnis: "5552000", dialed: "5551005",
                       inSpan: "pstn", inChannel: 3, outSpan: "agents", outChannel: 31, cause: 16, causeText: "normal clearing",
                       durationMs: 29_500, disposition: "answered", variables: ["customer": "42"], ivrPath: ["menu:main", "3"])
        var sparse = sample("sparse", answered: false)
        sparse.aniPlan = nil
        for cdr in [full, sparse] {
            let (fast, grdb, columns) = try store.writer.write { db in
                try cdr.insertOrIgnore(db)
                var viaGRDB = cdr
                viaGRDB.callID += "-grdb"
                try viaGRDB.insert(db)
                let columns = Array(try cdr.databaseDictionary.keys)
                return (try Row.fetchOne(db, sql: "SELECT * FROM cdr WHERE call_id = ?", arguments: [cdr.callID])!,
                        try Row.fetchOne(db, sql: "SELECT * FROM cdr WHERE call_id = ?", arguments: [cdr.callID + "-grdb"])!,
                        columns)
            }
            #expect(Set(columns) == Set(CDR.storedColumns + ["id"]))
            for column in CDR.storedColumns where column != "call_id" {
                #expect(fast[column] as DatabaseValue == grdb[column] as DatabaseValue, "\(column)")
            }
            // Read back, it is the CDR GRDB's insert stored (dates to the millisecond).
            var fastBack = try #require(try store.cdr(callID: cdr.callID))
            var grdbBack = try #require(try store.cdr(callID: cdr.callID + "-grdb"))
            fastBack.id = nil
            grdbBack.id = nil
            grdbBack.callID = cdr.callID
            #expect(fastBack == grdbBack)
        }
        // A CDR stored again is ignored (replay), as before.
        try store.writer.write { db in try full.insertOrIgnore(db) }
        #expect(try store.count() == 4)
    }

    /// A call start is live until its CDR; a start replayed after its CDR is not live again.
    @Test func cachedLiveCallStatements() throws {
        let store = try Store()
        let start = CallStart(callID: "s1", startTime: Date(timeIntervalSince1970: 1_800_000_000.25), ani: "4155550100",
                              aniPlan: nil, aniPresentation: 0x03, dnis: "5551000", inSpan: "pstn", inChannel: 3)
        try store.apply([.callStarted(start), .callStarted(start)])
        let live = try store.writer.read { db in try LiveCall.fetchAll(db) }
        #expect(live.count == 1 && live.first?.start == start && live.first?.lastSeen == start.startTime)
        try store.apply([.cdr(start.interrupted(lastSeen: start.startTime.addingTimeInterval(5)))])
        #expect(try store.writer.read { db in try LiveCall.fetchCount(db) } == 0)
        try store.apply([.callStarted(start)])
        #expect(try store.writer.read { db in try LiveCall.fetchCount(db) } == 0)
        #expect(try store.count() == 1)
    }

    @Test func migrationsAreIdempotent() throws {
        let dir = TempDir()
        let path = dir.path("cdr.sqlite")
        for _ in 0..<3 {
            let store = try Store(path: path)
            try store.write(sample(UUID().uuidString))
        }
        let store = try Store(path: path)
        #expect(try store.count() == 3)
        let applied = try store.writer.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1-cdr", "v2-cdr-ivr", "v3-recording", "v4-durable", "v5-customer", "v6-queue", "v7-voicemail", "v8-fax", "v9-inbox"])
        #expect(try store.writer.read { db in try Store.migrator.hasCompletedMigrations(db) })
    }

    @Test func callIDIsUnique() throws {
        let store = try Store()
        try store.write(sample("dup"))
        let error = try #require(throws: StoreError.self) { try store.write(sample("dup")) }
        #expect(error.code == .constraint && error.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(error.callID == "dup" && error.operation == "write CDR")
        #expect("\(error)".contains("call.id dup"))
        #expect(try store.count() == 1)
    }

    @Test func fullDiskIsATypedErrorAndTheStoreGoesOn() throws {
        let dir = TempDir()
        let store = try Store(path: dir.path("cdr.sqlite"))
        // Cap the file at its current size: the next pages cannot be allocated (SQLITE_FULL).
        try store.writer.write { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
            _ = try Row.fetchAll(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        var failure: StoreError?
        for i in 0..<2_000 where failure == nil {
            do { try store.write(sample("full-\(i)")) } catch { failure = error }
        }
        let error = try #require(failure)
        #expect(error.isDiskFull && error.code == .full, "\(error)")
        #expect(error.path == dir.path("cdr.sqlite") && error.callID?.hasPrefix("full-") == true)
        #expect("\(error)".contains("SQLITE_FULL"))
        // Reading still works, and writing resumes once there is room.
        let written = try store.count()
        try store.writer.write { db in _ = try Row.fetchAll(db, sql: "PRAGMA max_page_count = 1000000") }
        try store.write(sample("after"))
        #expect(try store.count() == written + 1)
    }

    @Test func unopenableLocationIsATypedError() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
        let blocker = dir.path("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let error = try #require(throws: StoreError.self) { try Store(path: blocker + "/cdr.sqlite") }
        #expect(error.code == .cannotOpen && error.path == blocker + "/cdr.sqlite")
    }
}

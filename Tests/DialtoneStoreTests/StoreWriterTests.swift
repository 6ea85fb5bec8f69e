// SPDX-License-Identifier: GPL-2.0-or-later
// The store writer with a real SQLite file: a locked database, a full file
// system (a real tmpfs), a crash between call start and CDR, and a journal
// cut short — every record ends up in the database exactly once, and the
// alarms are raised and cleared.
import DialtoneAlarms
@testable import DialtoneStore
import DialtoneSwitch
import Foundation
import GRDB
import Logging
import Testing

@Suite(.serialized) struct StoreWriterTests {
    typealias TempDir = StoreTests.TempDir

    func cdr(_ id: String, start: TimeInterval = 1_800_000_000) -> CDR {
        let start = Date(timeIntervalSince1970: start)
        return CDR(callID: id, startTime: start, answerTime: start.addingTimeInterval(1), endTime: start.addingTimeInterval(11),
                   ani: "4155550100", aniPlan: 0x21, aniPresentation: 0x03, dnis: "5551000", dialed: "5551000",
                   inSpan: "pstn", inChannel: 1, outSpan: "agents", outChannel: 1, cause: 16, causeText: "normal clearing",
                   durationMs: 10_000, disposition: "answered")
    }

    func callStart(_ id: String, start: TimeInterval = 1_800_000_000, presentation: Int = 0x03) -> CallStart {
        CallStart(callID: id, startTime: Date(timeIntervalSince1970: start), ani: "4155550100", aniPlan: 0x21,
                  aniPresentation: presentation, dnis: "5551000", inSpan: "pstn", inChannel: 3)
    }

    /// Polls `condition` (a test waits for a condition, not for a time) up to 10 s.
    func eventually(_ condition: () throws -> Bool) async rethrows -> Bool {
        for _ in 0..<1000 {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    func writer(_ dir: TempDir, db: String = "cdr.sqlite", alarms: AlarmBoard) throws -> StoreWriter {
        let store = try Store(path: dir.path(db), busyTimeout: 0.2)
        return try StoreWriter(store: store, journalPath: dir.path(db) + ".journal", alarms: alarms,
                               logger: Logger(label: "test"))
    }

    @Test func aLockedDatabaseSendsRecordsToTheJournalAndTheyAreReplayedOnce() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        let w = try writer(dir, alarms: alarms)
        w.start()
        w.record(cdr("before"))
        #expect(try await eventually { try w.store.count() == 1 })

        // Another connection holds the write lock (as `sqlite3 db 'BEGIN EXCLUSIVE'` would).
        let other = try SQLiteLocker(dir.path("cdr.sqlite"))
        for i in 0..<20 { w.callStarted(callStart("c\(i)")); w.record(cdr("c\(i)")) }
        #expect(await eventually { w.statistics.journaled == 40 })
        #expect(alarms.isRaised(AlarmID(.databaseUnavailable, dir.path("cdr.sqlite"))))
        #expect(alarms.isRaised(AlarmID(.journalInUse, dir.path("cdr.sqlite.journal"))))
        #expect(StoreOp.records(w.journal.read().ops) == 40)
        #expect(try w.store.count() == 1)  // readers are not blocked in WAL mode

        other.release()
        // (the alarm is cleared just after the journal is emptied: wait for both)
        #expect(try await eventually { try w.store.count() == 21 && w.journal.size == 0 && alarms.active.isEmpty })
        #expect(alarms.active.isEmpty, "\(alarms.active)")
        #expect(alarms.cleared.map(\.kind).contains("database-unavailable"))
        #expect(w.statistics.replayed == 40)
        // Replayed once: no live call left, each CDR once.
        #expect(try await w.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM live_call") } == 0)
        w.stop()
        let again = try writer(dir, alarms: alarms)
        again.start()
        again.stop()
        #expect(try again.store.count() == 21)
    }

    @Test func stopReturnsWithEveryRecordDurable() throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        do {
            let w = try writer(dir, alarms: alarms)
            w.start()
            for i in 0..<500 { w.record(cdr("s\(i)")) }
            w.stop()
        }
        #expect(try Store(path: dir.path("cdr.sqlite")).count() == 500)
    }

    @Test func stoppingWhileLockedLeavesTheRecordsInTheJournalForTheNextStart() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        var other: SQLiteLocker?
        do {
            let w = try writer(dir, alarms: alarms)
            w.start()
            other = try SQLiteLocker(dir.path("cdr.sqlite"))
            for i in 0..<10 { w.record(cdr("j\(i)")) }
            w.stop()
            #expect(w.journal.read().ops.count == 10)
        }
        other?.release()
        let w = try writer(dir, alarms: alarms)
        w.start()  // replays at start
        #expect(try w.store.count() == 10)
        #expect(w.journal.size == 0)
        w.stop()
    }

    @Test func callsACrashInterruptedGetACDRAtTheNextStart() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        do {
            let w = try writer(dir, alarms: alarms)
            w.start()
            w.callStarted(callStart("done"))
            w.callStarted(callStart("up-1", start: 1_800_000_100))
            w.callStarted(callStart("up-2", start: 1_800_000_200, presentation: 0x23))  // restricted
            w.record(cdr("done"))
            #expect(try await eventually { try w.store.count() == 1 })
            w.stop()  // as if killed: two calls never ended
        }
        let w = try writer(dir, alarms: alarms)
        w.start()
        defer { w.stop() }
        #expect(try w.store.count() == 3)
        let up1 = try #require(try w.store.cdr(callID: "up-1"))
        #expect(up1.disposition == "interrupted" && up1.answerTime == nil && up1.endTime >= up1.startTime)
        let up2 = try #require(try w.store.cdr(callID: "up-2"))
        #expect(up2.aniRestricted && up2.aniForDisplay == "anonymous" && up2.ani == "4155550100")
        #expect(try w.store.cdr(callID: "done")?.disposition == "answered")
    }

    @Test func aLineCutShortByACrashIsSkippedAndTheRestReplayed() throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        do {
            let journal = try StoreJournal(path: dir.path("cdr.sqlite.journal"))
            try journal.append([.cdr(cdr("a")), .cdr(cdr("b"))])
        }
        let h = try #require(FileHandle(forWritingAtPath: dir.path("cdr.sqlite.journal")))
        h.seekToEndOfFile()
        h.write(Data("{\"op\":\"cdr\",\"v\":1,\"data\":{\"call_id\":\"c".utf8))
        try h.close()
        let w = try writer(dir, alarms: alarms)
        w.start()
        w.stop()
        #expect(try w.store.cdrs().map(\.callID).sorted() == ["a", "b"])
    }

    /// A real full file system: a 2 MiB tmpfs holds the database and the
    /// journal; a filler takes every free block.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullFileSystemJournalsAndEveryRecordArrivesWhenSpaceReturns() async throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
        #expect(mountTmpfs(dir.path(""), size: "3m") == 0)
        defer { umount2(dir.path(""), 2) }  // MNT_DETACH
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        let w = try writer(dir, alarms: alarms)
        w.start()
        w.record(cdr("first"))
        #expect(try await eventually { try w.store.count() == 1 })
        let filler = dir.path("filler")
        fill(filler)
        var i = 0
        while w.statistics.journaled == 0 && i < 2000 {  // until the database cannot take a page
            w.record(cdr("f\(i)"))
            i += 1
            if i % 50 == 0 { _ = await eventually { w.statistics.written + w.statistics.journaled >= i } }
        }
        #expect(await eventually { w.statistics.written + w.statistics.journaled >= i })
        #expect(w.statistics.journaled > 0, "the database never reported the disk full")
        #expect(alarms.active.contains { $0.kind == "disk-full" }, "\(alarms.active)")
        #expect(w.statistics.held == 0, "the journal's reserve took the records")
        unlink(filler)
        #expect(await eventually { w.journal.size == 0 && alarms.active.isEmpty })
        #expect(try w.store.count() == i + 1)
        w.stop()
        // The WAL is bounded after the checkpoint.
        var st = stat()
        if stat(dir.path("cdr.sqlite-wal"), &st) == 0 { #expect(Int(st.st_size) <= Store.walLimit) }
    }

    /// Another process (python3's sqlite3) holding the database's write lock
    /// (`BEGIN EXCLUSIVE`) until ``release()``.
    final class SQLiteLocker {
        let process = Process()
        let input = Pipe()
        init(_ path: String) throws {
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1], isolation_level=None)
                c.execute("BEGIN EXCLUSIVE")
                print("locked", flush=True)
                sys.stdin.readline()
                c.execute("ROLLBACK")
                """, path]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            _ = output.fileHandleForReading.availableData  // "locked"
        }
        func release() {
            input.fileHandleForWriting.write(Data("\n".utf8))
            process.waitUntilExit()
        }
    }

    func mountTmpfs(_ path: String, size: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    func fill(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        while write(fd, block, block.count) > 0 {}
    }
}

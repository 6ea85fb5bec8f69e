// SPDX-License-Identifier: GPL-2.0-or-later
// Queue events and ACD snapshots through the store writer with a real
// SQLite file: stored once, journaled while the database is locked and
// replayed once, and copied to an Asterisk-compatible queue_log that
// follows log rotation.
import DialtoneACD
import DialtoneAlarms
@testable import DialtoneStore
import Foundation
import Logging
import Testing

@Suite(.serialized) struct QueueEventStoreTests {
    typealias TempDir = StoreTests.TempDir
    typealias SQLiteLocker = StoreWriterTests.SQLiteLocker
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ i: Int, _ kind: QueueEvent.Kind = .enterQueue) -> QueueEvent {
        QueueEvent(time: Self.t0.addingTimeInterval(Double(i)), callID: "c\(i)", queue: "sales", kind: kind,
                   data: ["", "4930\(i)", "1"])
    }

    func writer(_ dir: TempDir, alarms: AlarmBoard, queueLog: Bool = true) throws -> StoreWriter {
        let store = try Store(path: dir.path("q.sqlite"), busyTimeout: 0.2)
        return try StoreWriter(store: store, journalPath: dir.path("q.sqlite.journal"), alarms: alarms,
                               logger: Logger(label: "test"), queueLogPath: queueLog ? dir.path("queue_log") : nil)
    }

    func eventually(_ condition: () throws -> Bool) async rethrows -> Bool {
        for _ in 0..<1000 {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    func lines(_ path: String) -> [String] {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    @Test func eventsAreStoredOnceAndRead() throws {
        let store = try Store()
        let e = [event(1), event(2, .connect), QueueEvent(time: Self.t0, agent: "1001", kind: .pause, data: ["lunch"])]
        try store.apply(e.map(StoreOp.queueEvent))
        try store.apply(e.map(StoreOp.queueEvent))  // a replay
        #expect(try store.queueEventCount() == 3)
        #expect(try store.queueEvents() == [e[2], e[0], e[1]])  // by time
        #expect(try store.queueEvents(from: Self.t0.addingTimeInterval(1), to: Self.t0.addingTimeInterval(2)) == [e[0]])
        #expect(try store.queueEvents(agent: "1001") == [e[2]])
        // The journal line format reads back (old names stay, new ones added).
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        for op in [StoreOp.queueEvent(e[0]), .acdSnapshot(key: "agents", json: "{\"a\":1}", time: Self.t0)] {
            #expect(try decoder.decode(StoreOp.self, from: encoder.encode(op)) == op)
        }
    }

    @Test func aLockedDatabaseJournalsEventsAndSnapshotsAndReplaysThemOnce() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        let w = try writer(dir, alarms: alarms)
        w.start()
        w.queueEvent(event(0))
        #expect(try await eventually { try w.store.queueEventCount() == 1 })

        let other = try SQLiteLocker(dir.path("q.sqlite"))
        for i in 1...10 { w.queueEvent(event(i)) }
        w.acdSnapshot(key: "agents", json: "{\"v\":1}", at: Self.t0)
        w.acdSnapshot(key: "agents", json: "{\"v\":2}", at: Self.t0.addingTimeInterval(1))
        #expect(await eventually { w.statistics.journaled == 12 })
        #expect(try w.store.queueEventCount() == 1)
        // The queue_log has them already: they are durable in the journal.
        #expect(await eventually { lines(dir.path("queue_log")).count == 11 })

        other.release()
        #expect(try await eventually { try w.store.queueEventCount() == 11 && w.journal.size == 0 })
        #expect(try w.store.acdSnapshot(key: "agents")?.json == "{\"v\":2}")
        #expect(try w.store.acdSnapshot(key: "agents")?.time == Self.t0.addingTimeInterval(1))
        w.stop()

        // The same records replayed again (a journal left over) are not stored twice.
        try w.store.apply((0...10).map { .queueEvent(event($0)) } + [.acdSnapshot(key: "agents", json: "{\"v\":2}", time: Self.t0)])
        #expect(try w.store.queueEventCount() == 11)
        #expect(try w.store.acdSnapshots() == ["agents": "{\"v\":2}"])
        #expect(lines(dir.path("queue_log")).count == 11)
    }

    @Test func eventsJournaledAtStopAreReplayedAtTheNextStart() throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        var other: SQLiteLocker?
        do {
            let w = try writer(dir, alarms: alarms)
            w.start()
            other = try SQLiteLocker(dir.path("q.sqlite"))
            for i in 0..<5 { w.queueEvent(event(i)) }
            w.acdSnapshot(key: "queues", json: "[]")
            w.stop()
            #expect(w.journal.read().ops.count == 6)
        }
        other?.release()
        let w = try writer(dir, alarms: alarms)
        w.start()
        #expect(try w.store.queueEventCount() == 5 && w.journal.size == 0)
        #expect(try w.store.acdSnapshot(key: "queues")?.json == "[]")
        w.stop()
    }

    @Test func queueLogHasAsterisksLinesAndFollowsRotation() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        let w = try writer(dir, alarms: alarms)
        w.start()
        let path = dir.path("queue_log")
        w.queueEvent(QueueEvent(time: Self.t0, callID: "c1", queue: "sales", kind: .enterQueue, data: ["", "4930123", "1"]))
        w.queueEvent(QueueEvent(time: Self.t0.addingTimeInterval(12.9), callID: "c1", queue: "sales", agent: "1001",
                                kind: .connect, data: ["12", "c1-2", "3"]))
        #expect(await eventually { lines(path).count == 2 })
        #expect(lines(path) == ["1800000000|c1|sales|NONE|ENTERQUEUE||4930123|1", "1800000012|c1|sales|1001|CONNECT|12|c1-2|3"])

        // logrotate: moved away; the next event goes to a new file at the path.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        w.queueEvent(event(20, .abandon))
        #expect(await eventually { lines(path).count == 1 })
        #expect(lines(path + ".1").count == 2)
        // Removed outright: recreated.
        try FileManager.default.removeItem(atPath: path)
        w.queueEvent(event(21, .abandon))
        #expect(await eventually { lines(path).count == 1 })
        #expect(lines(path)[0].hasPrefix("1800000021|c21|sales|NONE|ABANDON|"))

        // A queue_log that cannot be written (its path is a directory) loses nothing in the database.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        w.queueEvent(event(22, .abandon))
        #expect(try await eventually { try w.store.queueEventCount() == 5 })
        #expect(await eventually { w.queueLog?.failedLines == 1 })
        #expect(alarms.active.isEmpty)
        w.stop()
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Fax jobs, destinations and received faxes in a real SQLite file, through
// the journaled writer: round trips, a locked database that loses nothing,
// and the unified inbox.
import DialtoneAlarms
import DialtoneFax
@testable import DialtoneStore
import Foundation
import GRDB
import Logging
import Testing

@Suite struct FaxStoreTests {
    typealias TempDir = StoreTests.TempDir
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let docs = [FaxDocumentRef(number: "1", name: "Prices", path: "/spool/documents/abc.tif", pages: 3),
                       FaxDocumentRef(number: "", name: "terms.tif", path: "/tmp/terms.tif", pages: 1)]

    static func job(_ id: String, state: FaxJob.State = .active, created: Date = t0) -> FaxJob {
        FaxJob(id: id, kind: .broadcast, documents: docs, scheduled: created.addingTimeInterval(60), created: created,
               state: state, origin: "cli")
    }

    static func received(_ id: String, at: TimeInterval, agent: String? = nil, queue: String? = nil) -> ReceivedFax {
        ReceivedFax(id: id, time: t0.addingTimeInterval(at), callID: "call-\(id)", calling: "4930123456", dnis: "5552000", pages: 2,
                    tiffPath: "/spool/received/\(id).tif", pdfPath: "/spool/received/\(id).pdf", t30Code: 0, t30Text: "OK",
                    rate: 14400, ecm: true, agent: agent, queue: queue)
    }

    @Test func jobsAndDestinationsRoundTrip() throws {
        let store = try Store()
        let job = Self.job("F1")
        let sent = FaxDestination(job: "F1", index: 0, number: "5550001", state: .sent, attempts: 2,
                                  result: FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: 4, rate: 9600, ecm: true),
                                  started: Self.t0.addingTimeInterval(100), ended: Self.t0.addingTimeInterval(190))
        let waiting = FaxDestination(job: "F1", index: 1, number: "5550002", state: .retryWait, attempts: 1,
                                     nextAttempt: Self.t0.addingTimeInterval(500), result: FaxOutcome(call: .busy, cause: 17),
                                     started: Self.t0.addingTimeInterval(100), ended: Self.t0.addingTimeInterval(101))
        let fresh = FaxDestination(job: "F1", index: 2, number: "5550003")
        try store.apply([.fax(.job(job)), .fax(.destination(sent)), .fax(.destination(waiting)), .fax(.destination(fresh))])
        let read = try #require(try store.faxJob("F1"))
        #expect(read.job == job)
        #expect(read.destinations == [sent, waiting, fresh])
        // Saved again with a new state: replaced, not added.
        var done = job
        done.state = .partial
        done.ended = Self.t0.addingTimeInterval(900)
        try store.apply([.fax(.job(done)), .fax(.job(done))])
        #expect(try store.faxJobs() == [done])
        #expect(try store.faxJob("F1")?.destinations == [sent, waiting, fresh], "saving the job again keeps its destinations")
        #expect(try store.faxJobs(open: true).isEmpty)
        #expect(try store.openFaxJobs().jobs.isEmpty)
        try store.apply([.fax(.job(Self.job("F2", state: .scheduled, created: Self.t0.addingTimeInterval(5))))])
        #expect(try store.faxJobs().map(\.id) == ["F2", "F1"])
        #expect(try store.openFaxJobs().jobs.map(\.id) == ["F2"])
        // A destination of an unknown job is not stored.
        try store.apply([.fax(.destination(FaxDestination(job: "nope", index: 0, number: "1")))])
        #expect(try store.faxJob("nope") == nil)
    }

    @Test func theJournalLineFormatCarriesFaxRecords() throws {
        let ops: [StoreOp] = [.fax(.job(Self.job("J"))), .fax(.received(Self.received("R", at: 3))),
                              .fax(.handled(id: "R", by: "1001", at: Self.t0))]
        let e = JSONEncoder()
        e.dateEncodingStrategy = .millisecondsSince1970
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        for op in ops {
            let line = String(decoding: try e.encode(op), as: UTF8.self)
            #expect(line.contains("\"op\":\"fax\""))
            #expect(try d.decode(StoreOp.self, from: Data(line.utf8)) == op)
        }
    }

    @Test func aLockedDatabaseLosesNoFaxRecord() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        let store = try Store(path: dir.path("fax.sqlite"), busyTimeout: 0.2)
        let w = try StoreWriter(store: store, journalPath: dir.path("fax.sqlite.journal"), alarms: alarms, logger: Logger(label: "test"))
        w.start()
        let other = try StoreWriterTests.SQLiteLocker(dir.path("fax.sqlite"))
        w.fax(.job(Self.job("L")))
        for i in 0..<5 { w.fax(.destination(FaxDestination(job: "L", index: i, number: "555000\(i)"))) }
        w.fax(.received(Self.received("R1", at: 1, queue: "support")))
        w.fax(.handled(id: "R1", by: "1001", at: Self.t0.addingTimeInterval(30)))
        #expect(await StoreWriterTests().eventually { w.statistics.journaled == 8 })
        #expect(try store.faxJob("L") == nil)
        other.release()
        #expect(try await StoreWriterTests().eventually { try store.faxJob("L")?.destinations.count == 5 && w.journal.size == 0 })
        let r = try #require(try store.receivedFax("R1"))
        #expect(r.state == .done && r.handledBy == "1001" && r.handledAt == Self.t0.addingTimeInterval(30))
        w.stop()
    }

    @Test func theInboxListsFaxesByAgentAndQueueAndMarksThemDone() throws {
        let store = try Store()
        try store.apply([.fax(.received(Self.received("a", at: 10, agent: "1001"))),
                         .fax(.received(Self.received("b", at: 20, queue: "support"))),
                         .fax(.received(Self.received("c", at: 30, agent: "1002", queue: "support"))),
                         .fax(.received(Self.received("d", at: 40)))])
        #expect(try store.inbox().map(\.id) == ["d", "c", "b", "a"])
        #expect(try store.inbox(InboxFilter(agent: "1001")).map(\.id) == ["a"])
        #expect(try store.inbox(InboxFilter(queue: "support")).map(\.id) == ["c", "b"])
        #expect(try store.inbox(InboxFilter(limit: 2)).map(\.id) == ["d", "c"])
        let item = try #require(try store.inboxItem(kind: "fax", id: "b"))
        #expect(item.summary == "2 pages" && item.file == "/spool/received/b.pdf" && item.from == "4930123456" && item.state == "new")
        try store.apply([.fax(.handled(id: "b", by: "1002", at: Self.t0.addingTimeInterval(99)))])
        // Done twice: the first mark stays.
        try store.apply([.fax(.handled(id: "b", by: "9999", at: Self.t0.addingTimeInterval(200)))])
        #expect(try store.inbox(InboxFilter(queue: "support")).map(\.id) == ["c"])
        let done = try #require(try store.inbox(InboxFilter(queue: "support", includeDone: true)).last)
        #expect(done.id == "b" && done.state == "done" && done.handledBy == "1002" && done.handledAt == Self.t0.addingTimeInterval(99))
    }

    @Test func theMigrationIsRegisteredAfterTheQueueTables() throws {
        let ids = Store.migrator.migrations
        #expect(ids.firstIndex(of: "v6-queue")! < ids.firstIndex(of: "v7-voicemail")!)
        #expect(ids.firstIndex(of: "v7-voicemail")! < ids.firstIndex(of: "v8-fax")!)
        #expect(ids.firstIndex(of: "v8-fax")! < ids.firstIndex(of: "v9-inbox")!)
    }
}

extension FaxStoreTests {
    @Test func aCustomerIsFoundByAFreeField() throws {
        let store = try Store()
        try store.upsert([Customer(number: "4930111", name: "A", fields: ["account": "4711"]),
                          Customer(number: "4930222", name: "B", fields: ["account": "0815", "contract": "C-9"]),
                          Customer(number: "4930333", name: "C")])
        #expect(try store.customer(field: "account", value: "0815")?.name == "B")
        #expect(try store.customer(field: "contract", value: "C-9")?.number == "4930222")
        #expect(try store.customer(field: "account", value: "9999") == nil)
        #expect(try store.customer(field: "name", value: "A") == nil, "only free fields, not the columns")
    }
}

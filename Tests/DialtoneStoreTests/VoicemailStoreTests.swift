// SPDX-License-Identifier: GPL-2.0-or-later
// The voice mail index and mailbox states through the store writer with a
// real SQLite file: idempotent changes, journaled while the database is
// locked and replayed once, the journal's `vm` lines read back.
import DialtoneACD
import DialtoneAlarms
@testable import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Testing

@Suite(.serialized) struct VoicemailStoreTests {
    typealias TempDir = StoreTests.TempDir
    typealias SQLiteLocker = StoreWriterTests.SQLiteLocker
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func message(_ i: Int) -> VoicemailMessage {
        VoicemailMessage(application: "vm", mailbox: "1234", path: "/vm/1234/msg-\(i).wav", caller: "41555501\(i)", callID: "c\(i)",
                         received: Self.t0.addingTimeInterval(Double(i)), seconds: Double(i) + 0.5)
    }

    func eventually(_ condition: () throws -> Bool) async rethrows -> Bool {
        for _ in 0..<1000 {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    @Test func changesAreIdempotentAndTheJournalLinesReadBack() throws {
        let store = try Store()
        let state = MailboxState(application: "vm", mailbox: "1234", pinHash: "$6$x$y", configPINHash: "$6$x$y", failures: 2,
                                 lockedUntil: Self.t0)
        let ops: [StoreOp] = [.voicemail(.indexed(message(1))), .voicemail(.indexed(message(2))),
                              .voicemail(.moved(path: message(1).path, folder: .old)), .voicemail(.removed(path: message(2).path)),
                              .voicemail(.state(state))]
        try store.apply(ops)
        try store.apply(ops)  // a replay
        var heard = message(1)
        heard.folder = .old
        #expect(try store.voicemailMessages(application: "vm") == [heard])
        #expect(try store.voicemailMessages(application: "other").isEmpty)
        #expect(try store.mailboxStates(application: "vm") == [state])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        for op in ops {
            let line = try encoder.encode(op)
            #expect(String(decoding: line, as: UTF8.self).contains("\"op\":\"vm\""))
            #expect(try decoder.decode(StoreOp.self, from: line) == op)
        }
    }

    @Test func aLockedDatabaseJournalsTheIndexAndReplaysItOnce() async throws {
        let dir = TempDir()
        let alarms = AlarmBoard(logger: Logger(label: "test"))
        let store = try Store(path: dir.path("vm.sqlite"), busyTimeout: 0.2)
        let w = try StoreWriter(store: store, journalPath: dir.path("vm.sqlite.journal"), alarms: alarms, logger: Logger(label: "test"))
        w.start()
        w.voicemail(.indexed(message(0)))
        #expect(try await eventually { try store.voicemailMessages(application: "vm").count == 1 })
        let other = try SQLiteLocker(dir.path("vm.sqlite"))
        for i in 1...5 { w.voicemail(.indexed(message(i))) }
        w.voicemail(.state(MailboxState(application: "vm", mailbox: "1234", failures: 3, lockedUntil: Self.t0)))
        #expect(await eventually { w.statistics.journaled == 6 })
        #expect(try store.voicemailMessages(application: "vm").count == 1)
        other.release()
        #expect(try await eventually { try store.voicemailMessages(application: "vm").count == 6 && w.journal.size == 0 })
        #expect(try store.mailboxStates(application: "vm").first?.lockedUntil == Self.t0)
        w.stop()
    }

    /// Voice messages are in the unified inbox beside faxes: a group
    /// mailbox's message names its queue and the agent who took it (from the
    /// queue log); `done` is kept once, with who and when.
    @Test func voiceMessagesAreInTheUnifiedInbox() throws {
        let store = try Store()
        let group = message(1), personal = message(2)
        try store.apply([.voicemail(.indexed(group)), .voicemail(.indexed(personal)),
                         .queueEvent(QueueEvent(time: Self.t0, callID: group.callID, queue: "sales", kind: .enterQueue)),
                         .queueEvent(QueueEvent(time: Self.t0.addingTimeInterval(5), callID: group.callID, queue: "sales", agent: "1001",
                                                kind: .connect))])
        let all = try store.inbox()
        #expect(all.map(\.kind) == ["voice", "voice"] && all.map(\.id) == ["msg-2.wav", "msg-1.wav"], "\(all)")
        #expect(all.last?.agent == "1001" && all.last?.queue == "sales" && all.last?.to == "vm:1234" && all.last?.summary == "0:01")
        #expect(all.first?.agent == nil && all.first?.queue == nil && all.first?.state == "new")
        #expect(try store.inbox(InboxFilter(agent: "1001")).map(\.id) == ["msg-1.wav"])
        #expect(try store.inbox(InboxFilter(queue: "sales")).map(\.id) == ["msg-1.wav"])
        let at = Self.t0.addingTimeInterval(60)
        try store.apply([.voicemail(.handled(path: group.path, by: "1001", at: at))])
        try store.apply([.voicemail(.handled(path: group.path, by: "1002", at: at.addingTimeInterval(1)))])  // kept once
        #expect(try store.inbox().map(\.id) == ["msg-2.wav"])
        let done = try #require(try store.inboxItem(kind: "voice", id: "msg-1.wav"))
        #expect(done.state == "done" && done.handledBy == "1001" && done.handledAt == at, "\(done)")
    }
}

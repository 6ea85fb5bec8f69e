// SPDX-License-Identifier: GPL-2.0-or-later
// The voice mail index and mailbox states through the store writer with a
// real SQLite file: idempotent changes, journaled while the database is
// locked and replayed once, the journal's `vm` lines read back.
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
}

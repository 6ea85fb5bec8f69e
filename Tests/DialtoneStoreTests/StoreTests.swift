// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneStore
import Foundation
import Testing

@Suite struct StoreTests {
    func sample(_ id: String, answered: Bool = true) -> CDR {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        return CDR(callID: id, startTime: start, answerTime: answered ? start.addingTimeInterval(2) : nil,
                   endTime: start.addingTimeInterval(32), ani: "4155550100", dnis: "5551000", dialed: "5551000",
                   inSpan: "pstn", inChannel: 31, outSpan: "agents", outChannel: 31, cause: 16,
                   causeText: "normal clearing", durationMs: answered ? 30_000 : 0,
                   disposition: answered ? "answered" : "cancelled")
    }

    @Test func writeReadReopen() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sub/cdr.sqlite").path
        do {
            let store = try Store(path: path)
            try store.write(sample("a-1"))
            try store.write(sample("a-2", answered: false))
            #expect(try store.count() == 2)
            var expected = sample("a-1")
            expected.id = 1
            #expect(try store.cdr(callID: "a-1") == expected)
        }
        let reopened = try Store(path: path)  // migrations run again, idempotently
        #expect(try reopened.count() == 2)
        #expect(try reopened.cdrs(limit: 10).map(\.callID) == ["a-2", "a-1"])
        #expect(try reopened.cdr(callID: "a-2")?.answerTime == nil)
    }

    @Test func callIDIsUnique() throws {
        let store = try Store()
        try store.write(sample("dup"))
        #expect(throws: StoreError.self) { try store.write(sample("dup")) }
        #expect(try store.count() == 1)
    }

    @Test func unwritableLocationIsATypedError() throws {
        #expect(throws: (any Error).self) { try Store(path: "/proc/dialtone/cdr.sqlite") }
    }
}

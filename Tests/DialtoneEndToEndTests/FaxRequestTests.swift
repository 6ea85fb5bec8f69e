// SPDX-License-Identifier: GPL-2.0-or-later
// The `fax …` and `inbox …` request grammar of the control socket, and the
// send times the CLI accepts.
import DialtoneDaemon
import Foundation
import Testing

@Suite struct FaxRequestTests {
    @Test func requestsParse() throws {
        let at = ISO8601DateFormatter().date(from: "2026-12-01T14:30:00Z")!
        #expect(try FaxRequest.parse("fax send 5551234 1 /tmp/a.pdf at=2026-12-01T14:30:00Z").get()
                == .send(number: "5551234", documents: ["1", "/tmp/a.pdf"], at: at))
        #expect(try FaxRequest.parse("fax broadcast 1 2 to=1,2,3").get() == .broadcast(documents: ["1", "2"], numbers: ["1", "2", "3"], file: nil, at: nil))
        #expect(try FaxRequest.parse("fax broadcast 1 file=/tmp/n.txt").get() == .broadcast(documents: ["1"], numbers: [], file: "/tmp/n.txt", at: nil))
        #expect(try FaxRequest.parse("fax  jobs").get() == .jobs)
        #expect(try FaxRequest.parse("fax show F1").get() == .show("F1"))
        #expect(try FaxRequest.parse("inbox list queue=support all").get() == .inboxList(agent: nil, queue: "support", all: true, limit: 100))
        #expect(try FaxRequest.parse("inbox done fax:R1 by=1001").get() == .inboxDone("fax:R1", by: "1001"))
    }

    @Test func mistakesAreNamed() {
        func message(_ line: String) -> String? { if case .failure(let f) = FaxRequest.parse(line) { f.message } else { nil } }
        #expect(message("fax send 5551234") == "'fax send' needs a number and at least one document")
        #expect(message("fax send 1 2 at=tomorrow") == "at=tomorrow is not a time in ISO 8601 with a zone (2026-12-01T14:30:00Z)")
        #expect(message("fax broadcast 1") == "'fax broadcast' needs to=NUMBER,NUMBER,… or file=PATH")
        #expect(message("fax show") == "'fax show' needs one job id")
        #expect(message("fax jobs x=1") == "'jobs' takes no option 'x=' (options: none)")
        #expect(message("fax fly") == "unknown fax request 'fly' (requests: documents, jobs, show, cancel, send, broadcast)")
        #expect(message("inbox done R1") == "'inbox done' needs an id and by=WHO (an agent id or a name)")
        #expect(message("inbox list limit=0") == "limit=0 is not 1…10000")
    }

    @Test func listsAndTimes() {
        #expect(FaxRequest.numbers(fromList: "# list\n555-0001\r\n(030) 1234, 5550003;5550004 # late\n\n") == ["5550001", "0301234", "5550003", "5550004"])
        let utc = TimeZone(identifier: "UTC")!
        let now = ISO8601DateFormatter().date(from: "2026-12-01T14:00:00Z")!
        #expect(FaxRequest.time("+30m", now: now) == now.addingTimeInterval(1800))
        #expect(FaxRequest.time("+2h", now: now) == now.addingTimeInterval(7200))
        #expect(FaxRequest.time("18:15", now: now, zone: utc) == ISO8601DateFormatter().date(from: "2026-12-01T18:15:00Z"))
        #expect(FaxRequest.time("09:00", now: now, zone: utc) == ISO8601DateFormatter().date(from: "2026-12-02T09:00:00Z"))
        #expect(FaxRequest.time("2026-12-24 08:00", now: now, zone: utc) == ISO8601DateFormatter().date(from: "2026-12-24T08:00:00Z"))
        #expect(FaxRequest.time("soon", now: now) == nil)
        #expect(FaxRequest.time("+5x", now: now) == nil)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

@Suite struct QueueEventTests {
    @Test func queueLogLineIsAsterisksFormat() {
        let e = QueueEvent(time: Date(timeIntervalSince1970: 1_700_000_000.7), callID: "c1", queue: "sales", agent: "1001",
                           kind: .connect, data: ["12", "c1-2", "3"])
        #expect(e.queueLogLine == "1700000000|c1|sales|1001|CONNECT|12|c1-2|3")
    }

    @Test func fieldsNeverBreakTheLine() {
        let e = QueueEvent(time: Date(timeIntervalSince1970: 0), kind: .pause, data: ["lunch|break\nnow"])
        #expect(e.queueLogLine == "0|NONE|NONE|NONE|PAUSE|lunch_break_now")
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's log lines outside systemd: swift-log's StreamLogHandler
// format with the time to the millisecond.
import DialtoneDaemon
import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@Suite struct ConsoleLogHandlerTests {
    @Test func aLineCarriesMillisecondsAndSortedMetadata() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "dialtone") { ConsoleLogHandler(label: $0, metadataProvider: nil) { l in lines.withLock { $0.append(l) } } }
        logger.logLevel = .debug
        logger.debug("in-band digit", metadata: ["span": "pstn", "call.id": "c1"])
        logger.trace("not logged")
        let got = lines.withLock { $0 }
        try #require(got.count == 1)
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4} debug dialtone: call\.id=c1 span=pstn \[DialtoneEndToEndTests\] in-band digit\n$/#
        #expect(got[0].wholeMatch(of: pattern) != nil, "\(got[0])")
    }

    /// Milliseconds truncated, not rounded (local time: the zone is the host's).
    @Test func theTimestampIsExactToTheMillisecond() {
        let format = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3})[+-]\d{4}$/#
        for (ns, ms) in [(7_999_999, "007"), (999_000_000, "999"), (0, "000"), (120_000_000, "120")] {
            let text = ConsoleLogHandler.timestamp(timespec(tv_sec: 1_796_095_212, tv_nsec: ns))
            #expect(text.wholeMatch(of: format).map { String($0.1) } == ms, "\(text)")
        }
    }
}

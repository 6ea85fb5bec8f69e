// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneStore
import Foundation
import GRDB
import Testing

/// The store's own date text must be GRDB's, character for character: rows
/// written before and after compare and sort alike (`start_time >= ?`).
@Suite struct StoredDateTests {
    func expectSameAsGRDB(_ date: Date, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(StoredDate.databaseValue(date) == date.databaseValue, "\(date.timeIntervalSince1970)",
                sourceLocation: sourceLocation)
    }

    @Test func randomDatesFrom1970To9999() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            expectSameAsGRDB(Date(timeIntervalSince1970: Double.random(in: 0..<253_402_300_799, using: &rng)))
            expectSameAsGRDB(Date(timeIntervalSinceNow: Double.random(in: -1e8...1e8, using: &rng)))
        }
    }

    @Test func halfMillisecondsRoundAsGRDBDoes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let second = Double(Int.random(in: 1_700_000_000..<1_900_000_000, using: &rng))
            let milli = Double(Int.random(in: 0..<1000, using: &rng)) / 1000
            expectSameAsGRDB(Date(timeIntervalSince1970: second + milli + 0.0005 + Double.random(in: -1e-6...1e-6, using: &rng)))
        }
        for t in [0, 0.0004, 0.0005, 0.0009999, 0.9995, 0.99999999, 1_800_000_000.9996, 1_764_532_000.0015] {
            expectSameAsGRDB(Date(timeIntervalSince1970: t))
        }
    }

    @Test func calendarBoundaries() {
        // 2000-02-29, 2100-03-01 (not a leap year), 1999-12-31 23:59:59.999, 9999-12-31 23:59:59.999.
        for t in [951_782_400, 4_107_542_400, 946_684_799.999, 253_402_300_799.999, 978_307_200] {
            expectSameAsGRDB(Date(timeIntervalSince1970: t))
        }
    }

    @Test func datesOutsideTheFastRangeGoThroughGRDB() {
        for t in [-1.5, -86_400 * 365.25 * 500, 253_402_300_800.0, 1e13] {
            #expect(StoredDate.text(Date(timeIntervalSince1970: t)) == nil)
            expectSameAsGRDB(Date(timeIntervalSince1970: t))
        }
    }
}

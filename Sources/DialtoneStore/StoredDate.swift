// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB

/// Dates as the store writes them: GRDB's text format,
/// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, exactly as `Date.databaseValue` writes
/// it, without going through its `DateFormatter` (ICU: some 7 µs a date,
/// five dates a call on the writer thread).
///
/// Like the formatter, the milliseconds are those of
/// `(timeIntervalSinceReferenceDate + 978 307 200) × 1000`, rounded to the
/// nearest. Only years 1970–9999 are computed here (proleptic Gregorian
/// agrees with ICU's calendar there); other dates go through GRDB.
/// `StoredDateTests` checks it against GRDB on random and boundary dates.
enum StoredDate {
    static func databaseValue(_ date: Date) -> DatabaseValue {
        guard let text = text(date) else { return date.databaseValue }
        return text.databaseValue
    }

    static func databaseValue(_ date: Date?) -> DatabaseValue {
        date.map(databaseValue) ?? .null
    }

    /// The text, or nil outside 1970-01-01 … 9999-12-31.
    static func text(_ date: Date) -> String? {
        let udate = (date.timeIntervalSinceReferenceDate + 978_307_200.0) * 1000.0
        guard udate >= 0, udate < 253_402_300_799_999 else { return nil }
        let ms = Int64((udate + 0.5).rounded(.down))
        let days = ms / 86_400_000
        var rest = ms - days * 86_400_000
        let hour = rest / 3_600_000
        rest -= hour * 3_600_000
        let minute = rest / 60_000
        rest -= minute * 60_000
        let second = rest / 1000
        let milli = rest - second * 1000
        // Days since 1970 to a civil date (H. Hinnant's days_from_civil, inverted).
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return String(unsafeUninitializedCapacity: 23) { b in
            func put(_ value: Int64, at start: Int, digits: Int) {
                var v = value
                for i in stride(from: start + digits - 1, through: start, by: -1) {
                    b[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
                    v /= 10
                }
            }
            put(year, at: 0, digits: 4)
            b[4] = UInt8(ascii: "-")
            put(month, at: 5, digits: 2)
            b[7] = UInt8(ascii: "-")
            put(day, at: 8, digits: 2)
            b[10] = UInt8(ascii: " ")
            put(hour, at: 11, digits: 2)
            b[13] = UInt8(ascii: ":")
            put(minute, at: 14, digits: 2)
            b[16] = UInt8(ascii: ":")
            put(second, at: 17, digits: 2)
            b[19] = UInt8(ascii: ".")
            put(milli, at: 20, digits: 3)
            return 23
        }
    }
}

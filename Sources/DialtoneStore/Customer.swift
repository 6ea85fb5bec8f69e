// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB

/// A customer, keyed by the E.164 number they call from (digits, no `+`;
/// ``NumberNormaliser`` makes it): a row of the `customer` table. The ACD
/// looks the caller up when the call arrives and attaches the result to the
/// call: `grade` for priority, `agent` for business routing.
public struct Customer: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "customer"

    /// E.164 digits without `+`, e.g. `4930123456`.
    public var number: String
    public var name: String
    /// Priority grade (`A`, `B`, `C`, …) or empty.
    public var grade: String
    public var notes: String
    /// The agent (or agent group) offered this customer's calls first; empty for none.
    public var agent: String
    /// Free fields (any other column of a customer file).
    public var fields: [String: String]
    /// When the row was last written.
    public var updated: Date

    public init(number: String, name: String = "", grade: String = "", notes: String = "", agent: String = "",
                fields: [String: String] = [:], updated: Date = Date()) {
        self.number = number
        self.name = name
        self.grade = grade
        self.notes = notes
        self.agent = agent
        self.fields = fields
        self.updated = updated
    }

    enum CodingKeys: String, CodingKey {
        case number, name, grade, notes, agent, fields
        case updated = "updated_time"
    }

    // `fields` is stored as a JSON object with sorted keys (stable rows and exports).
    public static func databaseJSONEncoder(for column: String) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

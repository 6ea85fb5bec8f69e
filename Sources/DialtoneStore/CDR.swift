// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import GRDB

/// One call detail record, as stored in the `cdr` table (one row per call,
/// written when it clears). Times are stored by GRDB as UTC text with
/// millisecond precision.
public struct CDR: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "cdr"

    /// Row id, assigned on insert.
    public var id: Int64?
    /// The switch's call id; unique.
    public var callID: String
    public var startTime: Date
    public var answerTime: Date?
    public var endTime: Date
    public var ani: String
    public var dnis: String
    /// The number sent out (after the route's strip/prepend); nil if the call was never routed.
    public var dialed: String?
    public var inSpan: String
    public var inChannel: Int
    public var outSpan: String?
    public var outChannel: Int?
    public var cause: Int
    public var causeText: String
    /// Connected time (answer → end), 0 when never answered.
    public var durationMs: Int
    /// answered, busy, congestion, no_answer, failed, cancelled.
    public var disposition: String
    /// Input the caller gave (IVR collect), as a JSON object of strings; nil when none.
    public var variables: String?
    /// The IVR steps the call went through, space-separated (`menu:main 1 menu:sales`); nil when none.
    public var ivrPath: String?

    enum CodingKeys: String, CodingKey {
        case id, ani, dnis, dialed, cause, disposition
        case callID = "call_id", startTime = "start_time", answerTime = "answer_time", endTime = "end_time"
        case inSpan = "in_span", inChannel = "in_channel", outSpan = "out_span", outChannel = "out_channel"
        case causeText = "cause_text", durationMs = "duration_ms", variables, ivrPath = "ivr_path"
    }

    public init(id: Int64? = nil, callID: String, startTime: Date, answerTime: Date?, endTime: Date, ani: String,
                dnis: String, dialed: String?, inSpan: String, inChannel: Int, outSpan: String?, outChannel: Int?,
                cause: Int, causeText: String, durationMs: Int, disposition: String,
                variables: [String: String] = [:], ivrPath: [String] = []) {
        self.id = id
        if !variables.isEmpty, let data = try? JSONSerialization.data(withJSONObject: variables, options: [.sortedKeys]) {
            self.variables = String(decoding: data, as: UTF8.self)
        }
        self.ivrPath = ivrPath.isEmpty ? nil : ivrPath.joined(separator: " ")
        self.callID = callID
        self.startTime = startTime
        self.answerTime = answerTime
        self.endTime = endTime
        self.ani = ani
        self.dnis = dnis
        self.dialed = dialed
        self.inSpan = inSpan
        self.inChannel = inChannel
        self.outSpan = outSpan
        self.outChannel = outChannel
        self.cause = cause
        self.causeText = causeText
        self.durationMs = durationMs
        self.disposition = disposition
    }

    /// The stored variables as a dictionary.
    public var variableValues: [String: String] {
        guard let variables, let object = try? JSONSerialization.jsonObject(with: Data(variables.utf8)) as? [String: String] else { return [:] }
        return object
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// One call detail record: the one type the switch writes when a call ends,
/// the store keeps in its `cdr` table (one row per call) and the journal
/// carries while the database is unavailable (docs/store.md).
public struct CDR: Codable, Sendable, Equatable {
    /// What became of the call (the `disposition` column).
    public enum Disposition: String, Sendable, CaseIterable {
        case answered, busy, congestion, noAnswer = "no_answer", failed, cancelled
        /// The daemon stopped (crash, power cut) while the call was up: written at the next start.
        case interrupted
    }

    /// Row id, assigned on insert.
    public var id: Int64?
    /// The switch's call id; unique.
    public var callID: String
    public var startTime: Date
    public var answerTime: Date?
    public var endTime: Date
    /// The calling number's digits as received (kept even when presentation is restricted).
    public var ani: String
    /// Q.931 type of number and numbering plan octet of the calling number (e.g. 0x21 national/ISDN), nil if unknown.
    public var aniPlan: Int?
    /// Q.931 presentation/screening octet of the calling number, nil if unknown.
    public var aniPresentation: Int?
    /// The caller asked for their number not to be shown: listings, logs and file names say `anonymous`.
    public var aniRestricted: Bool
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
    /// answered, busy, congestion, no_answer, failed, cancelled, interrupted (``Disposition``).
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
        case aniPlan = "ani_plan", aniPresentation = "ani_presentation", aniRestricted = "ani_restricted"
    }

    public init(id: Int64? = nil, callID: String, startTime: Date, answerTime: Date?, endTime: Date, ani: String,
                aniPlan: Int? = nil, aniPresentation: Int? = nil, dnis: String, dialed: String?, inSpan: String, inChannel: Int, outSpan: String?, outChannel: Int?,
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
        self.aniPlan = aniPlan
        self.aniPresentation = aniPresentation
        aniRestricted = aniPresentation.map { $0 & 0x60 == 0x20 } ?? false
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

    /// The calling number as a person may read it: `anonymous` when restricted.
    public var aniForDisplay: String { aniRestricted ? "anonymous" : (ani.isEmpty ? "-" : ani) }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// One call recording, indexed in the `recording` table with its call's id
/// (the CDR's `call_id`). `complete` is false when audio was lost (disk
/// full, I/O error); `problem` says what.
public struct RecordingRow: Codable, Sendable, Equatable {

    public var id: Int64?
    public var callID: String
    public var path: String
    /// pcm16, ulaw or alaw.
    public var format: String
    /// mono or stereo.
    public var layout: String
    public var startTime: Date
    public var endTime: Date
    public var durationMs: Int
    public var bytes: Int
    public var complete: Bool
    public var problem: String?

    enum CodingKeys: String, CodingKey {
        case id, path, format, layout, bytes, complete, problem
        case callID = "call_id", startTime = "start_time", endTime = "end_time", durationMs = "duration_ms"
    }

    public init(id: Int64? = nil, callID: String, path: String, format: String, layout: String, startTime: Date, endTime: Date,
                durationMs: Int, bytes: Int, complete: Bool, problem: String?) {
        self.id = id
        self.callID = callID
        self.path = path
        self.format = format
        self.layout = layout
        self.startTime = startTime
        self.endTime = endTime
        self.durationMs = durationMs
        self.bytes = bytes
        self.complete = complete
        self.problem = problem
    }
}

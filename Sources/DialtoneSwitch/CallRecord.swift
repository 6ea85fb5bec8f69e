// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// The call detail record the switch writes when a call ends.
public struct CallRecord: Sendable, Equatable {
    public enum Disposition: String, Sendable {
        case answered, busy, congestion, noAnswer = "no_answer", failed, cancelled
    }
    public var callID: String
    public var start: Date
    public var answer: Date?
    public var end: Date
    public var ani: String
    public var dnis: String
    public var dialed: String?
    public var inSpan: String
    public var inChannel: Int
    public var outSpan: String?
    public var outChannel: Int?
    public var cause: Int
    public var causeText: String
    public var disposition: Disposition
    /// Input collected by the IVR (customer number…), for routing, screen pop and the CDR.
    public var variables: [String: String] = [:]
    /// The IVR steps taken, in order.
    public var ivrPath: [String] = []

    /// Connected time in milliseconds (0 if never answered).
    public var durationMs: Int {
        guard let answer else { return 0 }
        return max(0, Int((end.timeIntervalSince(answer) * 1000).rounded()))
    }
}

/// A finished recording, indexed with its call.
public struct RecordingRecord: Sendable, Equatable {
    public var callID: String
    public var path: String
    public var format: String
    public var layout: String
    public var start: Date
    public var end: Date
    public var durationMs: Int
    public var bytes: Int
    public var complete: Bool
    public var problem: String?
    public init(callID: String, path: String, format: String, layout: String, start: Date, end: Date, durationMs: Int,
                bytes: Int, complete: Bool, problem: String?) {
        self.callID = callID
        self.path = path
        self.format = format
        self.layout = layout
        self.start = start
        self.end = end
        self.durationMs = durationMs
        self.bytes = bytes
        self.complete = complete
        self.problem = problem
    }
}

/// Where finished calls go (the store, in the daemon). Must not throw: a
/// failing store is logged by the sink and the switch carries on.
public protocol CallRecordSink: Sendable {
    func record(_ cdr: CallRecord) async
    func recording(_ recording: RecordingRecord) async
}

extension CallRecordSink {
    public func recording(_ recording: RecordingRecord) async {}
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling
import Foundation

/// A call that has started, as the switch reports it the moment it takes
/// the call: journaled, so that after a crash or power cut the call still
/// gets a CDR (disposition `interrupted`) at the next start.
public struct CallStart: Codable, Sendable, Equatable {
    public var callID: String
    public var startTime: Date
    public var ani: String
    public var aniPlan: Int?
    public var aniPresentation: Int?
    public var dnis: String
    public var inSpan: String
    public var inChannel: Int

    enum CodingKeys: String, CodingKey {
        case ani, dnis
        case callID = "call_id", startTime = "start_time", aniPlan = "ani_plan", aniPresentation = "ani_presentation"
        case inSpan = "in_span", inChannel = "in_channel"
    }

    public init(callID: String, startTime: Date, ani: String, aniPlan: Int?, aniPresentation: Int?, dnis: String,
                inSpan: String, inChannel: Int) {
        self.callID = callID
        self.startTime = startTime
        self.ani = ani
        self.aniPlan = aniPlan
        self.aniPresentation = aniPresentation
        self.dnis = dnis
        self.inSpan = inSpan
        self.inChannel = inChannel
    }

    /// The CDR of a call that was up when the daemon died: ended at `lastSeen`.
    public func interrupted(lastSeen: Date) -> CDR {
        CDR(callID: callID, startTime: startTime, answerTime: nil, endTime: max(lastSeen, startTime), ani: ani,
            aniPlan: aniPlan, aniPresentation: aniPresentation, dnis: dnis, dialed: nil, inSpan: inSpan,
            inChannel: inChannel, outSpan: nil, outChannel: nil, cause: 41, causeText: "temporary failure",
            durationMs: 0, disposition: CDR.Disposition.interrupted.rawValue)
    }
}

/// The port through which the switch hands over what must be stored: call
/// starts, CDRs and recording entries. The store implements it (a writer off
/// the call path); every method returns at once and never fails — keeping
/// the record is the sink's job, never a reason to hold up a call.
public protocol CallRecordSink: Sendable {
    /// A call was taken; `durable` is called once the start would survive a
    /// crash (the switch answers the network only then: write-ahead).
    func callStarted(_ start: CallStart, durable: @escaping @Sendable () -> Void)
    func record(_ cdr: CDR)
    func recording(_ recording: RecordingRow)
}

extension CallRecordSink {
    /// A sink that keeps no starts: durable at once.
    public func callStarted(_ start: CallStart, durable: @escaping @Sendable () -> Void) { durable() }
    public func recording(_ recording: RecordingRow) {}
}

/// Where the switch finds the caller when a call arrives (the store's
/// customer table, by normalised calling number): what it returns is
/// attached to the call before it is routed or offered — `customer.name`,
/// `customer.grade`, … — and stays with it through transfers and into the
/// CDR. It must answer quickly and never throw: a failed lookup is nil.
public protocol CustomerDirectory: Sendable {
    func customerData(calling: PartyNumber) -> [String: String]?
}

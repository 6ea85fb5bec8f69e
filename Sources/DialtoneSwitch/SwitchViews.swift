// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Counters since start.
public struct SwitchStatistics: Sendable, Codable, Equatable {
    public var offered = 0
    public var answered = 0
    public var completed = 0
    public var congestion = 0
    public var active = 0
}

/// What `dialtone calls` shows about a call.
public struct CallSummary: Sendable, Codable, Equatable {
    public struct Leg: Sendable, Codable, Equatable {
        public var id: Int
        public var role: String
        public var number: String
        public var span: String
        public var channel: Int?
        public var state: String
    }

    public var id: String
    public var state: String
    public var ani: String
    public var dnis: String
    public var inSpan: String
    public var inChannel: Int?
    public var inState: String
    public var outSpan: String?
    public var outChannel: Int?
    public var outState: String?
    public var start: Date
    public var answer: Date?
    /// The call is being recorded.
    public var recording: Bool
    public var legs: [Leg]
    /// Bridged leg pairs ("1-2").
    public var bridges: [String]
    public var conference: [Int]
    public var data: [String: String]

    init(call: Call, spans: [SwitchSpan]) {
        id = call.id
        state = call.state.description
        ani = call.ani.description
        dnis = call.dnis
        let first = call.inbound ?? call.legs.first
        inSpan = first.map { spans[$0.span].config.name } ?? "-"
        inChannel = first?.channel
        inState = first?.state.rawValue ?? "-"
        let out = call.destination
        outSpan = out.map { spans[$0.span].config.name }
        outChannel = out?.channel
        outState = out?.state.rawValue
        recording = call.recordingSlot != nil
        start = call.start
        answer = call.answer
        legs = call.legs.map { Leg(id: $0.id, role: $0.role.rawValue, number: $0.number, span: spans[$0.span].config.name,
                                   channel: $0.channel, state: $0.state.rawValue) }
        bridges = call.bridges.filter { $0.state == .active }.map { "\($0.a)-\($0.b)" }
        conference = call.conference.members
        data = call.variables
    }
}

/// What `dialtone spans` shows about a span.
public struct SpanStatus: Sendable, Codable, Equatable {
    public var name: String
    public var identity: String
    public var type: String
    public var role: String
    public var switchType: String
    public var law: String
    public var framing: String
    public var coding: String
    public var alarms: String
    public var dchannelUp: Bool
    public var channels: Int
    public var busy: Int
}

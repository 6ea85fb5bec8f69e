// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Synchronization

/// One event of the switch's event stream: what happened to a call, a leg,
/// a span or the alarms, with the stream's sequence number and the time.
/// Encoded as one flat JSON object with a `type` field (docs/events.md).
public struct SwitchEvent: Sendable, Codable, Equatable {
    public enum EventType: String, Sendable, Codable, CaseIterable {
        case callCreated = "call.created"
        case legCreated = "leg.created"
        case legProceeding = "leg.proceeding"
        case legAlerting = "leg.alerting"
        case legAnswered = "leg.answered"
        case legHeld = "leg.held"
        case legRetrieved = "leg.retrieved"
        case legEnded = "leg.ended"
        case bridged
        case unbridged
        case conferenceJoined = "conference.joined"
        case conferenceLeft = "conference.left"
        case transferred
        case digits
        case recordingStarted = "recording.started"
        case recordingStopped = "recording.stopped"
        case dataAttached = "data.attached"
        case applicationStarted = "application.started"
        case promptFinished = "prompt.finished"
        /// A leg with silence detection on was quiet for its limit (``SwitchCore/detectSilence(_:leg:seconds:)``).
        case silence
        /// An ACD agent's state changed (`agent`, `state`, `text`: reason or item).
        case agentState = "agent.state"
        /// A line of the queue log (`call`: the work item, `queue`, `agent`, `text`: the event, `fields`).
        case queueEvent = "queue.event"
        /// A fax tone on a leg (`text`: `cng` a fax machine calling, `ced` one answering).
        case faxDetected = "fax.detected"
        /// A fax session started on a leg (`text`: `send` or `receive`, `path`: the file).
        case faxStarted = "fax.started"
        /// The fax terminals agreed on a rate (`rate`, `ecm`).
        case faxNegotiated = "fax.negotiated"
        /// A page was transferred (`pages`: so far, `rate`, `ecm`).
        case faxPage = "fax.page"
        /// A fax session ended (`code`: T.30 completion code, 0 = success;
        /// `text`: its description; `pages`, `rate`, `ecm`, `path`).
        case faxEnded = "fax.ended"
        /// A voice mail message was left (`application`, `mailbox`, `number`: the caller, `path`, `seconds`, counts).
        case mailboxMessage = "mailbox.message"
        /// A mailbox's message counts changed (`application`, `mailbox`, `new`, `old`): message waiting.
        case mailboxWaiting = "mailbox.waiting"
        case callEnded = "call.ended"
        case spanUp = "span.up"
        case spanDown = "span.down"
        case dchannelUp = "dchannel.up"
        case dchannelDown = "dchannel.down"
        case alarmRaised = "alarm.raised"
        case alarmCleared = "alarm.cleared"
        /// A fax job changed state (`text`: the job id, `state`: scheduled, active, done, partial, failed, cancelled).
        case faxJob = "fax.job"
        /// A fax job's call to one destination ended (`text`: the job id, `number`,
        /// `state`: the destination's, `cause`, `causeText`: the result).
        case faxAttempt = "fax.attempt"
        /// A new item in the unified inbox (`text`: `KIND:ID`, `agent`, `queue`, `number`: from, `path`: its file).
        case inboxNew = "inbox.new"
        /// An inbox item was marked done (`text`: `KIND:ID`, `agent`: by whom).
        case inboxDone = "inbox.done"
    }

    /// Position in the stream (1, 2, 3 …): a gap means the consumer fell behind.
    public var seq: UInt64 = 0
    public var time: Date = Date(timeIntervalSince1970: 0)
    public var type: EventType
    public var call: String?
    public var leg: Int?
    /// The other leg (bridged, transferred to).
    public var peer: Int?
    /// The other call, when two calls are linked (a queue caller and an agent's open line).
    public var peerCall: String?
    public var span: String?
    public var channel: Int?
    /// The calling number (call.created) or the far end's number (leg.created).
    public var number: String?
    public var dnis: String?
    public var role: String?
    public var digits: String?
    /// Where digits came from: `inband` (DTMF), `keypad` (Q.931 keypad
    /// facility) or `information` (overlap called-number digits); see ``DigitSource``.
    public var source: String?
    /// A digit's time (its tone's start for `inband`), in milliseconds since
    /// the call was answered (`at_ms`; absent before the answer) and since
    /// the call began (`start_ms`).
    public var atMs: Int?
    public var startMs: Int?
    /// An in-band digit's tone length in milliseconds (`duration_ms`).
    public var durationMs: Int?
    public var cause: Int?
    public var causeText: String?
    public var disposition: String?
    public var key: String?
    public var value: String?
    public var path: String?
    public var application: String?
    public var members: [Int]?
    public var text: String?
    /// The ACD's agent and queue (agent.state, queue.event).
    public var agent: String?
    public var queue: String?
    public var state: String?
    /// Fax: pages transferred, image bit rate, error correction, T.30 completion code (fax.*).
    public var pages: Int?
    public var rate: Int?
    public var ecm: Bool?
    public var code: Int?
    /// A queue event's data fields, in the queue log's order.
    public var fields: [String]?
    /// Voice mail: the mailbox, a message's length, the mailbox's new and old messages.
    public var mailbox: String?
    public var seconds: Double?
    public var newMessages: Int?
    public var oldMessages: Int?

    enum CodingKeys: String, CodingKey {
        case seq, time, type, call, leg, peer, peerCall, span, channel, number, dnis, role, digits, source, cause, causeText,
             disposition, key, value, path, application, members, text, agent, queue, state, pages, rate, ecm, code, fields, mailbox, seconds
        case newMessages = "new", oldMessages = "old"
        case atMs = "at_ms", startMs = "start_ms", durationMs = "duration_ms"
    }

    public init(_ type: EventType, call: String? = nil, leg: Int? = nil) {
        self.type = type
        self.call = call
        self.leg = leg
    }
}

/// The switch's one event stream: every event gets the next sequence
/// number and goes to every subscriber. Subscribers are woken by the
/// stream (AsyncStream); one that falls more than `buffer` events behind
/// loses the oldest and sees the gap in `seq`.
public final class EventStream: Sendable {
    private struct State {
        var seq: UInt64 = 0
        var next = 0
        var subscribers: [Int: AsyncStream<SwitchEvent>.Continuation] = [:]
    }
    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }

    /// Stamps and delivers an event; returns it as delivered.
    @discardableResult
    public func publish(_ event: SwitchEvent) -> SwitchEvent {
        state.withLock { s in
            var e = event
            s.seq += 1
            e.seq = s.seq
            e.time = now()
            for c in s.subscribers.values { c.yield(e) }
            return e
        }
    }

    /// Events from now on, until the subscriber stops iterating or the stream finishes.
    public func subscribe(buffer: Int = 10_000) -> AsyncStream<SwitchEvent> { subscription(buffer: buffer).events }

    /// Events from now on, with the sequence number of the last event
    /// before them (taken together: the first event delivered is `after + 1`,
    /// so a client sees a gap from its very first event).
    public func subscription(buffer: Int = 10_000) -> (after: UInt64, events: AsyncStream<SwitchEvent>) {
        let (stream, continuation) = AsyncStream<SwitchEvent>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let (id, after) = state.withLock { s in
            s.next += 1
            s.subscribers[s.next] = continuation
            return (s.next, s.seq)
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return (after, stream)
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
    public var lastSequence: UInt64 { state.withLock { $0.seq } }

    /// Ends every subscription.
    public func finish() {
        let all = state.withLock { s in
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for c in all { c.finish() }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling
import Foundation

/// One side of a call on one span: a Q.931 call reference and its
/// B-channel. A pure state machine: only its own methods change its state,
/// through ``set(_:_:now:)``, which keeps a short from → to history (STYLE §10).
public struct CallLeg: Sendable, Equatable {
    /// Q.931 call states (Q.931 §2.1, user side names; the network side's
    /// N-states correspond one to one for what Dialtone tracks).
    public enum State: String, Sendable, Codable {
        case null = "U0"
        case callInitiated = "U1"
        case overlapSending = "U2"
        case outgoingProceeding = "U3"
        case callDelivered = "U4"
        case callPresent = "U6"
        case callReceived = "U7"
        case overlapReceiving = "U25"
        case incomingProceeding = "U9"
        case active = "U10"
        case disconnectRequest = "U11"
        case disconnectIndication = "U12"
        case released = "released"
    }

    /// Why the leg exists.
    public enum Role: String, Sendable, Codable {
        /// The caller's leg: the SETUP came from the network.
        case inbound
        /// Placed by the dialplan (the call's destination) or by `originate`.
        case outbound
        /// Placed to consult a third party (attended transfer) or to add one to a conference.
        case consultation
    }

    public struct Transition: Sendable, Equatable {
        public var from: State
        public var to: State
        public var event: String
        public var at: Date
    }

    /// The leg's number within its call (1 = the first leg).
    public let id: Int
    public let role: Role
    public let span: Int
    public let ref: CallRef
    public internal(set) var channel: Int?
    public private(set) var state: State
    /// The far end's number: the caller for an inbound leg, the number dialled otherwise.
    public let number: String
    public private(set) var cause: Q931Cause?
    public private(set) var answered: Date?
    /// The far end cleared the leg (it sent DISCONNECT, or RELEASE first).
    public private(set) var clearedByFarEnd = false
    public private(set) var history: [Transition] = []

    public init(id: Int, role: Role, span: Int, ref: CallRef, channel: Int?, number: String, state: State) {
        self.id = id
        self.role = role
        self.span = span
        self.ref = ref
        self.channel = channel
        self.number = number
        self.state = state
    }

    mutating func set(_ new: State, _ event: String, now: Date) {
        guard new != state else { return }
        history.append(Transition(from: state, to: new, event: event, at: now))
        if history.count > 10 { history.removeFirst() }
        state = new
    }

    // MARK: Events

    mutating func proceeding(now: Date) {
        if state == .callInitiated || state == .overlapSending { set(.outgoingProceeding, "CALL PROCEEDING", now: now) }
    }

    mutating func alerting(now: Date) {
        if state == .callInitiated || state == .outgoingProceeding || state == .overlapSending { set(.callDelivered, "ALERTING", now: now) }
    }

    /// The far end answered (outbound) or Dialtone answered (inbound).
    mutating func connected(_ event: String, now: Date) {
        guard isUp else { return }
        if answered == nil { answered = now }
        set(.active, event, now: now)
    }

    /// Inbound: CALL PROCEEDING sent (or SETUP ACKNOWLEDGE for overlap receiving).
    mutating func proceedingSent(overlap: Bool, now: Date) {
        set(overlap ? .overlapReceiving : .incomingProceeding, overlap ? "SETUP ACKNOWLEDGE sent" : "CALL PROCEEDING sent", now: now)
    }

    /// The far end cleared (DISCONNECT received).
    mutating func disconnectIndication(_ cause: Q931Cause, now: Date) {
        guard isUp else { return }
        self.cause = cause
        clearedByFarEnd = true
        set(.disconnectIndication, "DISCONNECT \(cause.rawValue) received", now: now)
    }

    /// Dialtone clears the leg (DISCONNECT sent). False when it is already clearing.
    mutating func disconnectRequest(_ cause: Q931Cause, now: Date) -> Bool {
        guard isUp else { return false }
        if self.cause == nil { self.cause = cause }
        set(.disconnectRequest, "DISCONNECT \(cause.rawValue) sent", now: now)
        return true
    }

    mutating func released(_ cause: Q931Cause, now: Date) {
        if self.cause == nil { self.cause = cause }
        set(.released, "RELEASE", now: now)
    }

    /// Neither clearing nor released.
    public var isUp: Bool { state != .released && state != .disconnectRequest && state != .disconnectIndication }
    public var isGone: Bool { state == .released }
    public var isAnswered: Bool { state == .active }
}

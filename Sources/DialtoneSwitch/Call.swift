// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import Foundation

/// One call through the switch: an inbound leg, at most one outbound leg, and
/// the bridge between them. A pure state machine: events go in, ``Action``s
/// come out, and ``SwitchCore`` carries them out (STYLE §9).
public struct Call: Sendable {
    public enum State: String, Sendable {
        /// Digits still arriving (overlap receiving).
        case collecting
        /// Answered by Dialtone; an application (IVR…) has the call.
        case application
        /// Outbound SETUP sent, waiting for the far end.
        case routing
        /// The destination is alerting.
        case ringing
        /// Both legs connected and bridged.
        case active
        /// Clearing in progress on one or both legs.
        case clearing
        /// Both legs released; the CDR is written.
        case done
    }

    public enum Action: Sendable, Equatable {
        case signal(span: Int, SignallingCommand)
        case bridge(MediaEngine.Endpoint, MediaEngine.Endpoint)
        case unbridge
        /// In-band call progress toward a leg (ringback while the far end alerts).
        case tone(MediaEngine.Endpoint, Tone)
        case stopTone(MediaEngine.Endpoint)
        /// The application's media ends on this channel (prompt, digit detection).
        case stopApplication(MediaEngine.Endpoint)
        case finished
    }

    public struct Transition: Sendable {
        public var from: State
        public var to: State
        public var event: String
        public var at: Date
    }

    public let id: String
    public var ani: PartyNumber
    public var dnis: String
    public var bearer: Bearer
    public var dialed: String?
    public var inbound: CallLeg
    public var outbound: CallLeg?
    public private(set) var state: State
    public let start: Date
    public var answer: Date?
    public var end: Date?
    /// The cause that ended the call (first clearing cause seen).
    public var cause: Q931Cause?
    public var bridgeID: Int?
    /// Dialtone answered the caller itself (IVR): the inbound leg is connected
    /// before any outbound leg exists, so an outbound ALERTING/CONNECT is not relayed.
    public private(set) var answeredLocally = false
    /// The outbound leg answered.
    public private(set) var outboundAnswered = false
    /// Input collected from the caller (IVR), kept for routing, screen pop and the CDR.
    public var variables: [String: String] = [:]
    /// The IVR steps taken.
    public var ivrPath: [String] = []
    /// The match/prefix text of the route that placed the outbound leg.
    public var routeKey: String?
    /// The recording slot while the call is recorded.
    public var recordingSlot: Int?
    /// The caller's last digits during the connected call (on-demand recording code).
    public var connectedDigits = ""
    /// The last transitions, for diagnosis (FreeTDM keeps 10).
    public private(set) var history: [Transition] = []

    public init(id: String, inbound: CallLeg, setup: IncomingSetup, now: Date) {
        self.id = id
        self.inbound = inbound
        ani = setup.calling
        dnis = setup.called
        bearer = setup.bearer
        start = now
        state = setup.complete ? .routing : .collecting
    }

    /// The one place state changes (STYLE §10).
    mutating func set(_ new: State, _ event: String, now: Date) {
        guard new != state else { return }
        history.append(Transition(from: state, to: new, event: event, at: now))
        if history.count > 10 { history.removeFirst() }
        state = new
    }

    // MARK: Events

    /// Dialtone answers the caller to run an application.
    mutating func answerLocally(now: Date) -> [Action] {
        guard let ch = inbound.channel, !answeredLocally else { return [] }
        answeredLocally = true
        inbound.state = .active
        answer = now
        set(.application, "answered by application", now: now)
        return [.signal(span: inbound.span, .answer(inbound.ref, channel: ch))]
    }

    /// The application hands the call on to a number (an outbound leg follows).
    mutating func leaveApplication(now: Date) -> [Action] {
        guard state == .application, let ch = inbound.channel else { return [] }
        return [.stopApplication(.init(span: inbound.span, channel: ch))]
    }

    /// A transfer from an application failed before answer: the caller goes
    /// back to the application (the outbound leg is the switch's to finish).
    mutating func returnToApplication(now: Date) -> [Action] {
        guard state == .routing || state == .ringing, answeredLocally else { return [] }
        var actions: [Action] = []
        if state == .ringing, let ch = inbound.channel { actions.append(.stopTone(.init(span: inbound.span, channel: ch))) }
        outbound = nil
        set(.application, "transfer failed", now: now)
        return actions
    }

    /// The outbound leg was placed.
    mutating func dialing(_ leg: CallLeg, number: String, now: Date) {
        outbound = leg
        dialed = number
        set(.routing, "outbound SETUP", now: now)
    }

    mutating func outboundAlerting(now: Date) -> [Action] {
        guard state == .routing, var out = outbound else { return [] }
        out.state = .callDelivered
        outbound = out
        set(.ringing, "outbound ALERTING", now: now)
        // ALERTING says in-band information is available: the caller hears ringback from us.
        var actions: [Action] = answeredLocally ? []
            : [.signal(span: inbound.span, .alerting(inbound.ref, channel: inbound.channel ?? 0))]
        if let ch = inbound.channel { actions.append(.tone(.init(span: inbound.span, channel: ch), .ringback)) }
        return actions
    }

    mutating func outboundProceeding() {
        if var out = outbound, out.state == .callInitiated {
            out.state = .outgoingProceeding
            outbound = out
        }
    }

    mutating func outboundConnected(now: Date) -> [Action] {
        guard state == .routing || state == .ringing, var out = outbound, let outChannel = out.channel,
              let inChannel = inbound.channel else { return [] }
        out.state = .active
        outbound = out
        inbound.state = .active
        outboundAnswered = true
        set(.active, "outbound CONNECT", now: now)
        let bridge = Action.bridge(.init(span: inbound.span, channel: inChannel), .init(span: out.span, channel: outChannel))
        if answeredLocally { return [bridge] }  // the caller has been connected since the IVR answered
        answer = now
        return [bridge, .signal(span: inbound.span, .answer(inbound.ref, channel: inChannel))]
    }

    /// Either leg's far end started clearing (or the leg failed).
    mutating func disconnected(_ ref: CallRef, span: Int, cause: Q931Cause, now: Date) -> [Action] {
        let fromInbound = span == inbound.span && ref == inbound.ref
        if self.cause == nil { self.cause = cause }
        var actions: [Action] = []
        if state == .active { actions.append(.unbridge) }
        if state == .ringing, let ch = inbound.channel { actions.append(.stopTone(.init(span: inbound.span, channel: ch))) }
        if state == .application, let ch = inbound.channel { actions.append(.stopApplication(.init(span: inbound.span, channel: ch))) }
        if fromInbound {
            if inbound.state != .released { inbound.state = .disconnectIndication }
            inbound.cause = cause
            if var out = outbound, out.state != .released, out.state != .disconnectRequest, out.state != .disconnectIndication {
                out.state = .disconnectRequest
                outbound = out
                // The caller gave up before answer: tell the destination normal clearing.
                let toOut = outboundAnswered ? cause : Q931Cause.normalClearing
                actions.append(.signal(span: out.span, .hangup(out.ref, toOut)))
            }
        } else if var out = outbound, out.ref == ref, out.span == span {
            if out.state != .released { out.state = .disconnectIndication }
            out.cause = cause
            outbound = out
            if inbound.state != .released, inbound.state != .disconnectRequest, inbound.state != .disconnectIndication {
                inbound.state = .disconnectRequest
                actions.append(.signal(span: inbound.span, .hangup(inbound.ref, cause)))
            }
        }
        set(.clearing, fromInbound ? "inbound DISCONNECT \(cause.rawValue)" : "outbound DISCONNECT \(cause.rawValue)", now: now)
        return actions
    }

    /// Dialtone itself clears the call (no route, no channel, timeout, shutdown).
    mutating func clear(cause: Q931Cause, reason: String, now: Date) -> [Action] {
        if self.cause == nil { self.cause = cause }
        var actions: [Action] = []
        if state == .active { actions.append(.unbridge) }
        if state == .ringing, let ch = inbound.channel { actions.append(.stopTone(.init(span: inbound.span, channel: ch))) }
        if state == .application, let ch = inbound.channel { actions.append(.stopApplication(.init(span: inbound.span, channel: ch))) }
        if inbound.state != .released, inbound.state != .disconnectRequest, inbound.state != .disconnectIndication {
            inbound.state = .disconnectRequest
            actions.append(.signal(span: inbound.span, .hangup(inbound.ref, cause)))
        }
        if var out = outbound, out.state != .released, out.state != .disconnectRequest, out.state != .disconnectIndication {
            out.state = .disconnectRequest
            outbound = out
            actions.append(.signal(span: out.span, .hangup(out.ref, outboundAnswered ? cause : .normalClearing)))
        }
        set(.clearing, reason, now: now)
        return actions
    }

    /// A leg's call reference is gone. When both are, the call is finished.
    mutating func released(_ ref: CallRef, span: Int, cause: Q931Cause, now: Date) -> [Action] {
        var actions: [Action] = []
        if span == inbound.span && ref == inbound.ref {
            if inbound.state != .disconnectRequest && inbound.state != .disconnectIndication && state != .clearing {
                actions += disconnected(ref, span: span, cause: cause, now: now)
            }
            inbound.state = .released
        } else if var out = outbound, out.ref == ref, out.span == span {
            let wasClearing = out.state == .disconnectRequest || out.state == .disconnectIndication
            out.state = .released
            outbound = out
            if !wasClearing && state != .clearing {
                actions += disconnected(ref, span: span, cause: cause, now: now)
            }
            if var out = outbound { out.state = .released; outbound = out }
        }
        if inbound.isGone && (outbound?.isGone ?? true) && state != .done {
            end = now
            set(.done, "released", now: now)
            actions.append(.finished)
        }
        return actions
    }

    public var disposition: CDR.Disposition {
        if answer != nil { return .answered }
        switch cause?.rawValue ?? 0 {
        case 17: return .busy
        case 34, 42, 44: return .congestion
        case 18, 19: return .noAnswer
        case 16 where inbound.cause != nil: return .cancelled
        default: return .failed
        }
    }
}

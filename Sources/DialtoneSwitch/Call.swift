// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import Foundation

/// One call through the switch: any number of legs (the caller's, the
/// destination's, consultations), the bridges between them and at most one
/// conference. A pure state machine (STYLE §9–11): events and commands go
/// in, ``Action``s come out and ``SwitchCore`` carries them out; only these
/// methods change the call, every change of state goes through
/// ``set(_:_:now:)`` with a short history, and timers are tokens the call
/// owns — a timer whose token is no longer armed does nothing.
public struct Call: Sendable {
    public enum State: Sendable, Equatable, CustomStringConvertible {
        /// Digits still arriving on the inbound leg (overlap receiving).
        case collecting
        /// A leg is being placed for a party that waits (or for nobody: originate).
        case routing
        /// An inbound call waits for the call-control API to answer or reject it.
        case presented
        /// An application (IVR…) has the call on this leg.
        case application(leg: Int)
        /// One answered leg, connected to nothing (originated, or answered by the API).
        case alone(leg: Int)
        /// Two legs bridged.
        case active(Int, Int)
        /// `held` hears the hold audio; `holder` hears silence.
        case held(held: Int, holder: Int)
        /// Attended transfer in progress: `held` on hold, `holder` placing or talking to `consult`.
        case consulting(held: Int, holder: Int, consult: Int)
        /// Three or more legs (or what is left of them) in the call's conference.
        case conference
        case clearing
        case done

        public var description: String {
            switch self {
            case .collecting: "collecting"
            case .routing: "routing"
            case .presented: "presented"
            case .application(let l): "application(\(l))"
            case .alone(let l): "alone(\(l))"
            case .active(let a, let b): "active(\(a),\(b))"
            case .held(let h, let by): "held(\(h) by \(by))"
            case .consulting(let h, let by, let c): "consulting(\(h) held, \(by)→\(c))"
            case .conference: "conference"
            case .clearing: "clearing"
            case .done: "done"
            }
        }

        /// The state's name without its legs (`dialtone calls`).
        public var name: String { String(description.prefix { $0 != "(" }) }
    }

    /// Why a leg was placed: what happens when it answers or fails.
    public enum Purpose: Sendable, Equatable {
        /// The destination of a party that waits (the caller, routed by the dialplan).
        case destination(for: Int)
        /// A blind transfer of `for` (its former peer is gone).
        case blindTransfer(for: Int)
        /// An attended transfer's consultation by `holder` while `held` waits.
        case consult(holder: Int, held: Int)
        /// A party being added to the conference.
        case conference
        /// A call originated by the API: nobody waits for it.
        case originate
        /// An offer of the answered party `for` (a queue's caller, alone) to a
        /// station: on answer they are bridged; on failure the party stays
        /// alone and the call goes on (the queue offers it elsewhere). Several
        /// offers may ring at once; the first answered wins, the others are cleared.
        case offer(for: Int)
    }

    public enum TimerKind: Sendable, Hashable {
        /// Overlap receiving: no further digit for this long routes what came.
        case interdigit
        /// A placed leg must answer within its route's answer timeout.
        case answer(leg: Int)
        /// An application's timer (its own token inside).
        case application(Int)
    }

    /// A timer the call armed: it acts only while `serial` is the one armed for `kind`.
    public struct Timer: Sendable, Hashable {
        public var kind: TimerKind
        public var serial: Int
    }

    public enum Action: Sendable, Equatable {
        case signal(span: Int, SignallingCommand)
        case bridge(Bridge)
        case unbridge(Bridge)
        case joinConference(leg: Int)
        case leaveConference(leg: Int)
        /// The configured hold audio toward a leg, until `unhold`.
        case hold(leg: Int)
        case unhold(leg: Int)
        /// In-band call progress toward a leg (ringback while the far end alerts).
        case tone(leg: Int, Tone)
        case stopTone(leg: Int)
        /// The application's media ends on this leg (prompt, digit detection).
        case stopApplication(leg: Int)
        case startTimer(Timer, seconds: Double)
        /// Overlap receiving is over: route the number collected.
        case route(String)
        case event(SwitchEvent)
        case finished
    }

    public struct Transition: Sendable {
        public var from: State
        public var to: State
        public var event: String
        public var at: Date
    }

    public let id: String
    public let ani: PartyNumber
    public internal(set) var dnis: String
    public let bearer: Bearer
    public internal(set) var legs: [CallLeg] = []
    public internal(set) var bridges: [Bridge] = []
    public internal(set) var conference = Conference()
    /// Legs being placed, with why.
    public internal(set) var pending: [Int: Purpose] = [:]
    public internal(set) var state: State
    public let start: Date
    public internal(set) var answer: Date?
    public internal(set) var end: Date?
    /// The cause that ended the call (the first clearing cause seen).
    public internal(set) var cause: Q931Cause?
    /// Dialtone answered the caller itself (an application).
    public internal(set) var answeredLocally = false
    /// Data attached to the call (IVR input, API `attach`): it stays through transfers and is written to the CDR.
    public internal(set) var variables: [String: String] = [:]
    /// The IVR steps taken.
    public internal(set) var ivrPath: [String] = []
    /// The match/prefix text of the route that placed the destination leg.
    public var routeKey: String?
    /// The recording slot while the call is recorded.
    public var recordingSlot: Int?
    /// The caller's last digits during the connected call (on-demand recording code).
    public var connectedDigits = ""
    public internal(set) var history: [Transition] = []
    var armed: [TimerKind: Int] = [:]
    var serial = 0

    /// An inbound call (leg 1 is the caller's).
    public init(id: String, inbound ref: CallRef, span: Int, setup: IncomingSetup, now: Date) {
        self.id = id
        ani = setup.calling
        dnis = setup.called
        bearer = setup.bearer
        start = now
        state = setup.complete ? .routing : .collecting
        legs = [CallLeg(id: 1, role: .inbound, span: span, ref: ref, channel: setup.channel,
                        number: setup.calling.digits, state: .callPresent)]
    }

    /// A call the API originates: its legs are all placed by Dialtone.
    public init(id: String, originating number: String, calling: PartyNumber, now: Date) {
        self.id = id
        ani = calling
        dnis = number
        bearer = .speechALaw
        start = now
        state = .routing
    }

    /// The one place the state changes (STYLE §10).
    mutating func set(_ new: State, _ event: String, now: Date) {
        guard new != state else { return }
        history.append(Transition(from: state, to: new, event: event, at: now))
        if history.count > 10 { history.removeFirst() }
        state = new
    }

    // MARK: Lookups

    public func leg(_ id: Int) -> CallLeg? { id >= 1 && id <= legs.count ? legs[id - 1] : nil }
    public func leg(span: Int, ref: CallRef) -> CallLeg? { legs.first { $0.span == span && $0.ref == ref } }
    public var inbound: CallLeg? { legs.first { $0.role == .inbound } }
    /// The leg the call's CDR names as its destination: the last answered placed leg, else the first placed.
    public var destination: CallLeg? {
        legs.last { $0.role != .inbound && $0.answered != nil } ?? legs.first { $0.role != .inbound }
    }
    public var activeBridge: Bridge? { bridges.last { $0.state == .active } }
    public var isFinished: Bool { state == .done }
    /// The leg an application runs on.
    public var applicationLeg: Int? { if case .application(let l) = state { l } else { nil } }

    mutating func update(_ id: Int, _ body: (inout CallLeg) -> Void) { body(&legs[id - 1]) }

    func event(_ type: SwitchEvent.EventType, leg: Int? = nil, _ fill: (inout SwitchEvent) -> Void = { _ in }) -> Action {
        var e = SwitchEvent(type, call: id, leg: leg)
        fill(&e)
        return .event(e)
    }

    // MARK: Timers

    mutating func arm(_ kind: TimerKind, seconds: Double) -> Action {
        serial += 1
        armed[kind] = serial
        return .startTimer(Timer(kind: kind, serial: serial), seconds: seconds)
    }

    mutating func disarm(_ kind: TimerKind) { armed[kind] = nil }

    /// True (and the timer disarmed) when `timer` is the one armed for its kind; a stale timer is false.
    mutating func take(_ timer: Timer) -> Bool {
        guard armed[timer.kind] == timer.serial else { return false }
        armed[timer.kind] = nil
        return true
    }

    /// An application timer (`token` is the application's own).
    mutating func armApplicationTimer(token: Int, seconds: Double) -> [Action] {
        [arm(.application(token), seconds: seconds)]
    }

    // MARK: The inbound leg before routing

    /// The call is taken: it is announced on the event stream.
    func created(span: String) -> [Action] {
        guard let leg = inbound else { return [] }
        return [event(.callCreated, leg: 1) { e in
            e.number = ani.description
            e.dnis = dnis
            e.span = span
            e.channel = leg.channel
        }]
    }

    /// The B-channel the switch chose (or confirmed) for the inbound leg.
    mutating func assignInboundChannel(_ channel: Int?) {
        guard inbound != nil else { return }
        update(1) { $0.channel = channel }
    }

    /// CALL PROCEEDING, or SETUP ACKNOWLEDGE with the inter-digit timer when digits may follow.
    mutating func proceed(overlap: Bool, interdigit: Double, now: Date) -> [Action] {
        guard let leg = inbound, leg.state == .callPresent, let ch = leg.channel else { return [] }
        let more = overlap && state == .collecting
        update(1) { $0.proceedingSent(overlap: more, now: now) }
        if more { return [.signal(span: leg.span, .needMoreInfo(leg.ref, channel: ch)), arm(.interdigit, seconds: interdigit)] }
        return [.signal(span: leg.span, .proceeding(leg.ref, channel: ch))]
    }

    /// More digits of the called number. `routeNow`: the dialplan knows the
    /// number is complete. Otherwise the inter-digit timer starts again
    /// (each digit re-arms it; the earlier timer is stale).
    mutating func digits(_ more: String, routeNow: Bool, interdigit: Double) -> [Action] {
        guard state == .collecting else { return [] }
        dnis += more
        if routeNow {
            disarm(.interdigit)
            return [.route(dnis)]
        }
        return [arm(.interdigit, seconds: interdigit)]
    }

    /// Leaves overlap receiving to route the number (CALL PROCEEDING if SETUP ACKNOWLEDGE was sent).
    mutating func startRouting(now: Date) -> [Action] {
        disarm(.interdigit)
        guard let leg = inbound else { return [] }
        var actions: [Action] = []
        if leg.state == .overlapReceiving, let ch = leg.channel {
            update(1) { $0.proceedingSent(overlap: false, now: now) }
            actions.append(.signal(span: leg.span, .proceeding(leg.ref, channel: ch)))
        }
        if state == .collecting { set(.routing, "number complete", now: now) }
        return actions
    }

    /// A timer expired: what it does if it is still armed.
    mutating func timerFired(_ timer: Timer, now: Date) -> [Action] {
        guard take(timer) else { return [] }
        switch timer.kind {
        case .interdigit:
            guard state == .collecting else { return [] }
            return [.route(dnis)]
        case .answer(let leg):
            guard let l = self.leg(leg), l.isUp, !l.isAnswered else { return [] }
            return clearLeg(leg, cause: .noAnswer, now: now)
        case .application:
            return []  // the switch hands it to the application
        }
    }

    // MARK: Applications and the API's answer

    /// Dialtone answers the caller to run an application on leg 1.
    mutating func answerLocally(now: Date) -> [Action] {
        guard let leg = inbound, let ch = leg.channel, leg.isUp else { return [] }
        var actions: [Action] = []
        if !answeredLocally {
            answeredLocally = true
            if answer == nil { answer = now }
            update(1) { $0.connected("answered by Dialtone", now: now) }
            actions.append(.signal(span: leg.span, .answer(leg.ref, channel: ch)))
            actions.append(event(.legAnswered, leg: 1))
        }
        set(.application(leg: 1), "answered by application", now: now)
        return actions
    }

    /// The application hands the call on (a destination leg follows).
    mutating func leaveApplication(now: Date) -> [Action] {
        guard case .application(let l) = state else { return [] }
        set(.routing, "application transfers", now: now)
        return [.stopApplication(leg: l)]
    }

    /// The route names the call-control API: the call waits to be answered or rejected.
    mutating func present(now: Date, alert: Bool = true) -> [Action] {
        guard let leg = inbound, let ch = leg.channel, leg.isUp else { return [] }
        if leg.isAnswered {
            // Already answered (an IVR handed it on): the application has it as it is.
            set(.alone(leg: leg.id), "handed to the API answered", now: now)
            return [.stopApplication(leg: leg.id)]
        }
        set(.presented, "presented to the API", now: now)
        guard alert else { return [] }  // diverted after the destination failed: the caller was told already
        return [.signal(span: leg.span, .alerting(leg.ref, channel: ch)), event(.legAlerting, leg: 1)]
    }

    /// The API answers a presented call.
    mutating func answerPresented(now: Date) -> Result<[Action], CallControlError> {
        if case .alone(let l) = state, l == inbound?.id, inbound?.isAnswered == true { return .success([]) }  // answered before
        guard state == .presented, let leg = inbound, let ch = leg.channel else {
            return .failure(.wrongState(call: id, state: state, command: "answer"))
        }
        if answer == nil { answer = now }
        update(1) { $0.connected("answered by the API", now: now) }
        set(.alone(leg: 1), "answered by the API", now: now)
        return .success([.signal(span: leg.span, .answer(leg.ref, channel: ch)), event(.legAnswered, leg: 1)])
    }

    /// Keeps a value on the call (IVR input, API data).
    mutating func attach(_ key: String, _ value: String) -> [Action] {
        variables[key] = value
        return [event(.dataAttached) { $0.key = key; $0.value = value }]
    }

    mutating func visit(_ step: String) { ivrPath.append(step) }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import Foundation

/// The call's legs coming and going: placing a leg, its far end's progress,
/// answer and clearing, and what the rest of the call does when a leg goes.
extension Call {
    /// The id the next leg will get.
    public var nextLegID: Int { legs.count + 1 }

    /// Places a leg (its channel and call reference already taken by the switch).
    mutating func dial(span: Int, ref: CallRef, channel: Int, number: String, role: CallLeg.Role,
                       setup: OutgoingSetup, purpose: Purpose, answerTimeout: Double, spanName: String, now: Date) -> [Action] {
        let id = nextLegID
        legs.append(CallLeg(id: id, role: role, span: span, ref: ref, channel: channel, number: number, state: .callInitiated))
        pending[id] = purpose
        switch purpose {
        case .destination, .blindTransfer, .originate: set(.routing, "leg \(id) placed", now: now)
        case .consult(let holder, let held): set(.consulting(held: held, holder: holder, consult: id), "consulting \(number)", now: now)
        case .conference, .offer: break
        }
        return [.signal(span: span, .setup(ref, setup)),
                event(.legCreated, leg: id) { e in
                    e.number = number
                    e.role = role.rawValue
                    e.span = spanName
                    e.channel = channel
                },
                arm(.answer(leg: id), seconds: answerTimeout)]
    }

    mutating func legProceeding(_ id: Int, now: Date) -> [Action] {
        guard let l = leg(id), l.state == .callInitiated else { return [] }
        update(id) { $0.proceeding(now: now) }
        return [event(.legProceeding, leg: id)]
    }

    /// The far end alerts: whoever waits for the leg hears ringback.
    mutating func legAlerting(_ id: Int, now: Date) -> [Action] {
        guard let l = leg(id), l.isUp, !l.isAnswered, let purpose = pending[id] else { return [] }
        update(id) { $0.alerting(now: now) }
        var actions: [Action] = [event(.legAlerting, leg: id)]
        let waiter: Int?
        switch purpose {
        case .destination(let w), .blindTransfer(let w): waiter = w
        case .consult(let holder, _): waiter = holder
        case .conference, .originate, .offer: waiter = nil  // an offered caller keeps hearing the queue's audio
        }
        if let w = waiter, let party = leg(w), party.isUp {
            // ALERTING says in-band information is available: the caller hears ringback from us.
            if party.role == .inbound, !party.isAnswered, let ch = party.channel {
                actions.append(.signal(span: party.span, .alerting(party.ref, channel: ch)))
            }
            actions.append(.tone(leg: w, .ringback))
        }
        return actions
    }

    /// The far end answered: the leg is connected to whoever waits for it.
    mutating func legConnected(_ id: Int, now: Date) -> [Action] {
        guard let l = leg(id), l.isUp, !l.isAnswered, let purpose = pending.removeValue(forKey: id) else { return [] }
        disarm(.answer(leg: id))
        update(id) { $0.connected("CONNECT", now: now) }
        var actions: [Action] = [event(.legAnswered, leg: id)]
        switch purpose {
        case .destination(let w), .blindTransfer(let w):
            guard let party = leg(w), party.isUp else { return actions }
            // (the bridge replaces the ringback: the engine keeps its transmit slack)
            if party.role == .inbound, !party.isAnswered, let ch = party.channel {
                update(w) { $0.connected("CONNECT sent", now: now) }
                actions.append(.signal(span: party.span, .answer(party.ref, channel: ch)))
                actions.append(event(.legAnswered, leg: w))
            }
            if answer == nil { answer = now }
            actions += bridge(w, id, now: now)
            set(.active(w, id), "leg \(id) answered", now: now)
            if case .blindTransfer = purpose { actions.append(event(.transferred, leg: w) { $0.peer = id }) }
        case .consult(let holder, _):
            actions += bridge(holder, id, now: now)
        case .conference:
            actions += merge(now: now)
        case .originate:
            if answer == nil { answer = now }
            set(.alone(leg: id), "originated leg answered", now: now)
        case .offer(let w):
            guard state == .alone(leg: w), let party = leg(w), party.isUp else {
                // Another offer won, or the caller left: this station is told normal clearing.
                return actions + clearLeg(id, cause: .normalClearing, now: now)
            }
            actions.append(.unhold(leg: w))  // the queue's audio stops
            actions += bridge(w, id, now: now)
            set(.active(w, id), "offer \(id) answered", now: now)
            // The other stations still ringing for this party lose.
            for (other, p) in pending where p == .offer(for: w) {
                actions += clearLeg(other, cause: .normalClearing, now: now)
            }
        }
        return actions
    }

    /// Every answered leg still up joins the conference (bridges between them end).
    mutating func merge(now: Date) -> [Action] {
        var actions: [Action] = []
        for b in bridges where b.state == .active { actions += unbridge(b.id, "conference", now: now) }
        for l in legs where l.isUp && l.isAnswered && !conference.members.contains(l.id) {
            if case .held(let h, _) = state, h == l.id { actions.append(.unhold(leg: h)) }
            if case .consulting(let h, _, _) = state, h == l.id { actions.append(.unhold(leg: h)) }
            if conference.join(l.id, now: now) {
                actions.append(.joinConference(leg: l.id))
                actions.append(event(.conferenceJoined, leg: l.id) { [members = conference.members] in $0.members = members })
            }
        }
        set(.conference, "conference", now: now)
        return actions
    }

    mutating func bridge(_ a: Int, _ b: Int, now: Date) -> [Action] {
        let bridge = Bridge(id: bridges.count + 1, a, b)
        bridges.append(bridge)
        return [.bridge(bridge), event(.bridged, leg: a) { $0.peer = b }]
    }

    mutating func unbridge(_ bridgeID: Int, _ why: String, now: Date) -> [Action] {
        guard let i = bridges.firstIndex(where: { $0.id == bridgeID }), bridges[i].end(why, now: now) else { return [] }
        let b = bridges[i]
        return [.unbridge(b), event(.unbridged, leg: b.a) { $0.peer = b.b }]
    }

    /// The far end cleared a leg (DISCONNECT, or a RELEASE with no DISCONNECT before it).
    mutating func legDisconnected(_ id: Int, cause: Q931Cause, now: Date) -> [Action] {
        guard let l = leg(id), l.isUp else { return [] }
        if self.cause == nil, id == 1 || !(pending[id].map(Self.survivable) ?? false) { self.cause = cause }
        update(id) { $0.disconnectIndication(cause, now: now) }
        return legGone(id, cause: cause, now: now)
    }

    /// Dialtone clears one leg (a command, a timeout); the rest of the call goes on as the state says.
    mutating func clearLeg(_ id: Int, cause: Q931Cause, now: Date) -> [Action] {
        guard let l = leg(id), l.isUp else { return [] }
        let placedUnanswered = l.role != .inbound && !l.isAnswered
        guard legs[id - 1].disconnectRequest(cause, now: now) else { return [] }
        // A leg Dialtone gives up on before answer is told normal clearing.
        var actions: [Action] = Self.proceedingFirst(l) + [.signal(span: l.span, .hangup(l.ref, placedUnanswered ? .normalClearing : cause))]
        if id == 1 || !(pending[id].map(Self.survivable) ?? false) && self.cause == nil && isLastParty(id) { self.cause = cause }
        actions += legGone(id, cause: cause, now: now)
        return actions
    }

    /// Dialtone clears the whole call.
    mutating func clear(cause: Q931Cause, reason: String, now: Date) -> [Action] {
        if self.cause == nil { self.cause = cause }
        var actions: [Action] = []
        if state != .done { set(.clearing, reason, now: now) }
        for l in legs where l.isUp {
            let placedUnanswered = l.role != .inbound && !l.isAnswered
            if legs[l.id - 1].disconnectRequest(cause, now: now) {
                actions += detach(l.id, now: now)
                actions += Self.proceedingFirst(l)
                actions.append(.signal(span: l.span, .hangup(l.ref, placedUnanswered ? .normalClearing : cause)))
                actions.append(ended(l.id, placedUnanswered ? .normalClearing : cause))
            }
        }
        return actions + finishIfGone(now: now)
    }

    /// A leg's call reference is gone; when every leg's is, the call is finished.
    mutating func legReleased(_ id: Int, cause: Q931Cause, now: Date) -> [Action] {
        guard let l = leg(id), !l.isGone else { return [] }
        var actions: [Action] = []
        if l.isUp { actions += legDisconnected(id, cause: cause, now: now) }
        update(id) { $0.released(cause, now: now) }
        return actions + finishIfGone(now: now)
    }

    /// An inbound leg still waiting for CALL PROCEEDING (its start not yet
    /// durable) gets it before the clearing: libpri sends nothing for a
    /// hangup before PROCEEDING, and the caller would wait for its timers.
    static func proceedingFirst(_ l: CallLeg) -> [Action] {
        guard l.role == .inbound, l.state == .callPresent, let ch = l.channel else { return [] }
        return [.signal(span: l.span, .proceeding(l.ref, channel: ch))]
    }

    /// The `leg.ended` event of a leg, with its cause.
    func ended(_ id: Int, _ cause: Q931Cause) -> Action {
        event(.legEnded, leg: id) { e in
            e.cause = Int(cause.rawValue)
            e.causeText = cause.name
        }
    }

    /// A placed leg whose failure leaves the call going (a consultation, a conference add).
    static func survivable(_ p: Purpose) -> Bool {
        switch p {
        case .consult, .conference, .offer: true
        default: false
        }
    }

    private func isUp(_ l: Int) -> Bool { leg(l)?.isUp ?? false }

    private func isLastParty(_ id: Int) -> Bool { !legs.contains { $0.id != id && $0.isUp } }

    /// Takes a leg out of the call's media: its bridge, the conference, tones, hold, its timer.
    private mutating func detach(_ id: Int, now: Date) -> [Action] {
        var actions: [Action] = []
        disarm(.answer(leg: id))
        for b in bridges where b.state == .active && b.contains(id) { actions += unbridge(b.id, "leg \(id) gone", now: now) }
        if conference.leave(id, now: now) {
            actions.append(.leaveConference(leg: id))
            actions.append(event(.conferenceLeft, leg: id) { [members = conference.members] in $0.members = members })
        }
        if case .held(let h, _) = state, h == id { actions.append(.unhold(leg: id)) }
        if case .consulting(let h, _, _) = state, h == id { actions.append(.unhold(leg: id)) }
        if case .application(let l) = state, l == id { actions.append(.stopApplication(leg: id)) }
        actions.append(.stopTone(leg: id))
        return actions
    }

    /// What the call does once leg `id` has left it.
    private mutating func legGone(_ id: Int, cause: Q931Cause, now: Date) -> [Action] {
        let purpose = pending.removeValue(forKey: id)
        var actions = detach(id, now: now)
        actions.append(ended(id, cause))
        switch state {
        case .done, .clearing:
            break
        case .alone(let l) where l != id:
            break  // an offer that failed or lost: the party stays alone (the queue goes on)
        case .collecting, .presented, .application, .alone:
            actions += clear(cause: cause, reason: "leg \(id) cleared", now: now)
        case .routing:
            switch purpose {
            case .destination(let w)?, .blindTransfer(let w)?:
                // The destination failed: its cause goes back to the party that waited.
                actions += clear(cause: cause, reason: "leg \(id) failed (waiting: \(w))", now: now)
            case .consult?, .conference?, .originate?, .offer?:
                actions += clear(cause: cause, reason: "leg \(id) failed", now: now)
            case nil:
                // The waiting party left: its destination is told normal clearing.
                actions += clear(cause: id == 1 ? cause : .normalClearing, reason: "leg \(id) left while routing", now: now)
            }
        case .active(let a, let b):
            guard a == id || b == id else { break }
            actions += clear(cause: cause, reason: "leg \(id) cleared", now: now)
        case .held(let h, let by):
            guard h == id || by == id else { break }
            actions += clear(cause: cause, reason: "leg \(id) cleared while held", now: now)
        case .consulting(let h, let by, let c):
            if id == c {
                // The consultation failed or ended: back to hold (the holder may retrieve or consult again).
                if isUp(by) { actions.append(.stopTone(leg: by)) }
                set(isUp(h) && isUp(by) ? .held(held: h, holder: by) : .clearing, "consultation \(id) ended", now: now)
                if !(isUp(h) && isUp(by)) { actions += clear(cause: cause, reason: "consultation ended, party gone", now: now) }
            } else if id == by {
                // The holder hung up: the transfer completes (on answer, or on ringing).
                actions += complete(held: h, consult: c, now: now)
            } else if id == h {
                // The held party left: the holder and the consulted party go on as a two-party call.
                if leg(c)?.isAnswered == true {
                    set(.active(by, c), "held party left", now: now)
                } else {
                    pending[c] = .destination(for: by)
                    set(.routing, "held party left", now: now)
                }
            }
        case .conference:
            let remaining = conference.members.filter(isUp)
            let placing = pending.values.contains { if case .conference = $0 { true } else { false } }
            if remaining.count < 2 && !placing {
                conference.close(now: now)
                actions += clear(cause: .normalClearing, reason: "conference down to one party", now: now)
            }
        }
        return actions + finishIfGone(now: now)
    }

    /// Held party ↔ consulted party; the holder is out. On ringing, the held party hears ringback.
    mutating func complete(held: Int, consult: Int, now: Date) -> [Action] {
        var actions: [Action] = [.unhold(leg: held)]
        if leg(consult)?.isAnswered == true {
            for b in bridges where b.state == .active && b.contains(consult) { actions += unbridge(b.id, "transfer", now: now) }
            actions += bridge(held, consult, now: now)
            set(.active(held, consult), "transfer completed", now: now)
            actions.append(event(.transferred, leg: held) { $0.peer = consult })
        } else {
            pending[consult] = .blindTransfer(for: held)
            if leg(consult)?.state == .callDelivered { actions.append(.tone(leg: held, .ringback)) }
            set(.routing, "transfer completed on ringing", now: now)
        }
        return actions
    }

    private mutating func finishIfGone(now: Date) -> [Action] {
        guard state != .done, !legs.isEmpty, legs.allSatisfy(\.isGone) else { return [] }
        end = now
        conference.close(now: now)
        set(.done, "released", now: now)
        let c = cause ?? .normalClearing
        return [event(.callEnded) { e in
            e.cause = Int(c.rawValue)
            e.causeText = c.name
            e.disposition = disposition.rawValue
        }, .finished]
    }

    /// A transfer from an application failed before answer: the caller is the
    /// application's again (the failed leg is cleared here unless its far end did).
    mutating func returnToApplication(failed id: Int?, cause: Q931Cause, farEndCleared: Bool, now: Date) -> [Action] {
        guard let id else {  // no leg was placed (no route, no circuit)
            guard answeredLocally, state == .routing else { return [] }
            set(.application(leg: 1), "transfer failed", now: now)
            return []
        }
        guard answeredLocally, case .destination(let w)? = pending[id], w == 1, let l = leg(id) else { return [] }
        pending[id] = nil
        disarm(.answer(leg: id))
        var actions: [Action] = [.stopTone(leg: 1)]
        if farEndCleared {
            update(id) { $0.disconnectIndication(cause, now: now) }
        } else if l.isUp, legs[id - 1].disconnectRequest(.normalClearing, now: now) {
            actions.append(.signal(span: l.span, .hangup(l.ref, .normalClearing)))
        }
        actions.append(ended(id, cause))
        set(.application(leg: 1), "transfer failed", now: now)
        return actions
    }

    /// The destination of a routed call (not answered by Dialtone) failed and
    /// its route sends the caller elsewhere (`on_busy`, `on_no_answer`): the
    /// failed leg is cleared here unless its far end did; the caller, not
    /// yet answered, stays (state `routing`) for the application. No actions: not ours to divert.
    mutating func divert(failed id: Int, cause: Q931Cause, farEndCleared: Bool, now: Date) -> [Action] {
        guard !answeredLocally, state == .routing, case .destination(let w)? = pending[id], w == 1, let l = leg(id),
              let caller = inbound, caller.isUp, !caller.isAnswered else { return [] }
        pending[id] = nil
        disarm(.answer(leg: id))
        var actions: [Action] = []
        if farEndCleared {
            update(id) { $0.disconnectIndication(cause, now: now) }
        } else if l.isUp, legs[id - 1].disconnectRequest(.normalClearing, now: now) {
            actions.append(.signal(span: l.span, .hangup(l.ref, .normalClearing)))
        }
        actions.append(ended(id, cause))
        return actions
    }

    public var disposition: CDR.Disposition {
        if answer != nil { return .answered }
        switch cause?.rawValue ?? 0 {
        case 17: return .busy
        case 34, 42, 44: return .congestion
        case 18, 19: return .noAnswer
        case 16 where inbound?.clearedByFarEnd == true: return .cancelled
        default: return .failed
        }
    }
}

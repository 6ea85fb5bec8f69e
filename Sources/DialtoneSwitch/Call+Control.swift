// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling
import Foundation

/// The call-control commands a call takes (hold, transfer, conference,
/// hang-up). Each first checks that it fits the call's state and returns
/// a typed error without changing anything when it does not.
extension Call {
    private func refuse(_ command: String) -> CallControlError { .wrongState(call: id, state: state, command: command) }

    /// The two parties of a two-party call, `leg` first (default: the first leg of the pair).
    func pair(_ leg: Int?, _ command: String) -> Result<(Int, Int), CallControlError> {
        guard case .active(let a, let b) = state else { return .failure(refuse(command)) }
        switch leg {
        case nil, a?: return .success((a, b))
        case b?: return .success((b, a))
        default: return .failure(.noSuchLeg(call: id, leg: leg!))
        }
    }

    /// Puts `leg` (default: the first party) on hold: it hears the hold audio, its peer hears silence.
    mutating func hold(_ leg: Int?, now: Date) -> Result<[Action], CallControlError> {
        pair(leg, "hold").map { held, holder in
            var actions: [Action] = []
            if let b = activeBridge { actions += unbridge(b.id, "hold", now: now) }
            set(.held(held: held, holder: holder), "leg \(held) held", now: now)
            return actions + [.hold(leg: held), event(.legHeld, leg: held) { $0.peer = holder }]
        }
    }

    mutating func retrieve(_ leg: Int?, now: Date) -> Result<[Action], CallControlError> {
        guard case .held(let held, let holder) = state else { return .failure(refuse("retrieve")) }
        if let leg, leg != held { return .failure(.invalid("leg \(leg) of call \(id) is not on hold (leg \(held) is)")) }
        set(.active(held, holder), "leg \(held) retrieved", now: now)
        return .success([.unhold(leg: held), event(.legRetrieved, leg: held)] + bridge(held, holder, now: now))
    }

    /// Checks a blind transfer of `leg` (default: the first party) and returns who stays and who goes.
    func checkBlindTransfer(_ leg: Int?) -> Result<(stays: Int, goes: Int?), CallControlError> {
        switch state {
        case .active, .held:
            let p: Result<(Int, Int), CallControlError>
            if case .held(let h, let by) = state { p = leg == nil || leg == h ? .success((h, by)) : leg == by ? .success((by, h)) : .failure(.noSuchLeg(call: id, leg: leg!)) }
            else { p = pair(leg, "transfer") }
            return p.map { (stays: $0.0, goes: $0.1) }
        case .alone(let l):
            if let leg, leg != l { return .failure(.noSuchLeg(call: id, leg: leg)) }
            return .success((stays: l, goes: nil))
        default:
            return .failure(refuse("transfer"))
        }
    }

    /// The blind transfer's first half: the party that goes is cleared, the one that stays waits for the new leg.
    mutating func startBlindTransfer(stays: Int, goes: Int?, now: Date) -> [Action] {
        var actions: [Action] = []
        if let b = activeBridge { actions += unbridge(b.id, "transfer", now: now) }
        if case .held(let h, _) = state, h == stays { actions.append(.unhold(leg: stays)) }
        set(.routing, "blind transfer of \(stays)", now: now)  // before the goer leaves: nothing to clear for
        if let goes, let l = leg(goes), legs[goes - 1].disconnectRequest(.normalClearing, now: now) {
            actions.append(.signal(span: l.span, .hangup(l.ref, .normalClearing)))
            actions.append(ended(goes, .normalClearing))
        }
        return actions
    }

    /// Checks an attended transfer's consultation: `leg` (default: the first party) is held, its peer consults.
    func checkConsult(_ leg: Int?) -> Result<(held: Int, holder: Int), CallControlError> {
        if case .held(let h, let by) = state {
            if let leg, leg != h { return .failure(.invalid("leg \(h) is the one on hold")) }
            return .success((h, by))
        }
        return pair(leg, "consult").map { (held: $0.0, holder: $0.1) }
    }

    mutating func startConsult(held: Int, holder: Int, now: Date) -> [Action] {
        if case .held = state { return [] }
        var actions: [Action] = []
        if let b = activeBridge { actions += unbridge(b.id, "consult", now: now) }
        set(.held(held: held, holder: holder), "leg \(held) held for consultation", now: now)
        return actions + [.hold(leg: held), event(.legHeld, leg: held) { $0.peer = holder }]
    }

    /// Completes an attended transfer: the held party and the consulted one are connected, the holder leaves.
    mutating func completeTransfer(now: Date) -> Result<[Action], CallControlError> {
        guard case .consulting(let h, let by, let c) = state else { return .failure(refuse("transfer complete")) }
        var actions = complete(held: h, consult: c, now: now)
        if let l = leg(by), legs[by - 1].disconnectRequest(.normalClearing, now: now) {
            for b in bridges where b.state == .active && b.contains(by) { actions += unbridge(b.id, "holder left", now: now) }
            actions.append(.stopTone(leg: by))
            actions.append(.signal(span: l.span, .hangup(l.ref, .normalClearing)))
            actions.append(ended(by, .normalClearing))
        }
        return .success(actions)
    }

    /// Cancels an attended transfer: the consulted leg is cleared, the holder has the held party back.
    mutating func cancelTransfer(now: Date) -> Result<[Action], CallControlError> {
        guard case .consulting(let h, let by, let c) = state else { return .failure(refuse("transfer cancel")) }
        var actions: [Action] = []
        for b in bridges where b.state == .active && b.contains(c) { actions += unbridge(b.id, "consultation cancelled", now: now) }
        set(.active(h, by), "consultation cancelled", now: now)
        pending[c] = nil
        if let l = leg(c), legs[c - 1].disconnectRequest(.normalClearing, now: now) {
            actions.append(.stopTone(leg: by))
            actions.append(.signal(span: l.span, .hangup(l.ref, .normalClearing)))
            actions.append(ended(c, .normalClearing))
        }
        return .success(actions + [.unhold(leg: h), event(.legRetrieved, leg: h)] + bridge(h, by, now: now))
    }

    /// Checks that a party may be added to the conference (a two-party call, a conference, or a consultation to merge).
    func checkConferenceAdd() -> Result<Void, CallControlError> {
        switch state {
        case .active, .conference: .success(())
        default: .failure(refuse("conference add"))
        }
    }

    /// Merges an attended transfer's three parties into a conference.
    mutating func mergeConsultation(now: Date) -> Result<[Action], CallControlError> {
        guard case .consulting(_, _, let c) = state, leg(c)?.isAnswered == true else { return .failure(refuse("conference merge")) }
        return .success(merge(now: now))
    }

    /// Drops one leg from the conference (cleared with `cause`).
    mutating func conferenceDrop(_ leg: Int, cause: Q931Cause, now: Date) -> Result<[Action], CallControlError> {
        guard state == .conference else { return .failure(refuse("conference drop")) }
        guard conference.members.contains(leg) || pending[leg] == .conference else { return .failure(.noSuchLeg(call: id, leg: leg)) }
        return .success(clearLeg(leg, cause: cause, now: now))
    }

    /// Hangs up one leg, or the whole call.
    mutating func hangup(_ leg: Int?, cause: Q931Cause, now: Date) -> Result<[Action], CallControlError> {
        guard state != .done else { return .failure(refuse("hangup")) }
        guard let leg else { return .success(clear(cause: cause, reason: "hung up by command", now: now)) }
        guard let l = self.leg(leg) else { return .failure(.noSuchLeg(call: id, leg: leg)) }
        guard l.isUp else { return .failure(.invalid("leg \(leg) of call \(id) is already clearing")) }
        return .success(clearLeg(leg, cause: cause, now: now))
    }

    /// The API rejects a presented call.
    mutating func reject(cause: Q931Cause, now: Date) -> Result<[Action], CallControlError> {
        guard state == .presented || state == .collecting || state == .routing && inbound?.isAnswered == false
        else { return .failure(refuse("reject")) }
        return .success(clear(cause: cause, reason: "rejected by command", now: now))
    }
}

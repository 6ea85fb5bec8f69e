// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import Foundation
import Logging

/// Two calls connected to each other: each alone on one answered leg — a
/// queue's caller and an agent's open line (the agent called in and stays
/// connected between calls). Each call keeps its own legs, state and CDR;
/// the link is a media bridge between their legs. It ends when either call
/// leaves `alone` (a hang-up, a transfer, a prompt played by the API after
/// `unlink`): the other call stays up and alone.
struct CallLink: Sendable {
    var call: String
    var leg: Int
    var peerCall: String
    var peerLeg: Int
    var slot: Int
}

extension SwitchCore {
    /// Links two calls that are each alone on an answered leg. The prompts
    /// they heard stop; each hears the other.
    public func link(_ a: String, _ b: String) throws(CallControlError) {
        guard a != b else { throw .invalid("a call cannot be linked to itself") }
        let (la, ea) = try linkable(a)
        let (lb, eb) = try linkable(b)
        guard let slot = freeBridges.popLast() else { throw .invalid("no free bridge in the media engine") }
        stopListening(a, leg: la)
        stopListening(b, leg: lb)
        playlists[ea] = nil
        playlists[eb] = nil
        send(.stopPrompt(ea))
        send(.stopPrompt(eb))
        send(.bridge(id: slot, ea, eb))
        links[a] = CallLink(call: a, leg: la, peerCall: b, peerLeg: lb, slot: slot)
        links[b] = CallLink(call: b, leg: lb, peerCall: a, peerLeg: la, slot: slot)
        for l in [links[a]!, links[b]!] {
            publish(l.call, .bridged, leg: l.leg) { e in
                e.peerCall = l.peerCall
                e.peer = l.peerLeg
            }
        }
        logger.info("calls linked", metadata: ["call.id": "\(a)", "peer.call": "\(b)", "bridge": "\(slot)"])
    }

    /// Ends a call's link (either call's id): both calls stay up, alone.
    public func unlink(_ id: String) throws(CallControlError) {
        guard links[id] != nil else {
            guard calls[id] != nil else { throw .noSuchCall(id) }
            throw .invalid("call \(id) is not linked to another call")
        }
        endLink(id, why: "unlink")
    }

    /// The call this one is linked to, if any.
    public func linkedCall(_ id: String) -> String? { links[id]?.peerCall }

    /// After a call changed: a link whose call is no longer alone on its leg ends.
    func checkLink(_ id: String) {
        guard let l = links[id] else { return }
        if case .alone(let leg)? = calls[id]?.state, leg == l.leg, calls[id]?.leg(leg)?.isUp == true { return }
        endLink(id, why: "call \(id) \(calls[id]?.state.name ?? "ended")")
    }

    private func endLink(_ id: String, why: String) {
        guard let l = links.removeValue(forKey: id) else { return }
        links[l.peerCall] = nil
        send(.unbridge(id: l.slot))
        freeBridges.append(l.slot)
        for (call, leg, peer, peerLeg) in [(l.call, l.leg, l.peerCall, l.peerLeg), (l.peerCall, l.peerLeg, l.call, l.leg)]
        where calls[call] != nil {
            publish(call, .unbridged, leg: leg) { e in
                e.peerCall = peer
                e.peer = peerLeg
                e.text = why
            }
        }
        logger.info("calls unlinked", metadata: ["call.id": "\(l.call)", "peer.call": "\(l.peerCall)", "why": "\(why)"])
    }

    private func linkable(_ id: String) throws(CallControlError) -> (Int, MediaEngine.Endpoint) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard links[id] == nil else { throw .invalid("call \(id) is already linked to call \(links[id]!.peerCall)") }
        guard case .alone(let leg) = call.state, call.leg(leg)?.isAnswered == true, let e = endpoint(id, leg) else {
            throw .wrongState(call: id, state: call.state, command: "link")
        }
        return (leg, e)
    }
}

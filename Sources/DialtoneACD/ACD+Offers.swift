// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Offers answered and failed, conversations, wrap-up, callback attempts.
extension ACD {
    mutating func offerAnswered(_ id: String, agent agentID: String) {
        guard let a = agentIndex[agentID] else { return }
        guard let slot = itemIndex[id], agents[a].offerSlot == slot,
              case .offered(let list) = items[slot]!.phase, list.contains(a) else {
            // A late answer (the offer was withdrawn or timed out): the owner must drop that leg.
            out.append(.withdraw(item: id, agent: agentID))
            return
        }
        withdrawOffers(slot, except: a)
        agents[a].offerSlot = nil
        agents[a].offerDeadline = nil
        agents[a].misses = 0
        agents[a].busySlot = slot
        if case .callback = items[slot]!.item.kind {
            setItemPhase(slot, .dialling(agent: a))
            setAgent(a, .busy(item: id))
        } else {
            connect(slot, agent: a)
        }
    }

    /// The conversation starts: CONNECT; statistics; the agent is busy.
    mutating func connect(_ slot: Int, agent a: Int) {
        let r = items[slot]!
        let q = r.queue
        let hold = now - r.entered
        log(.connect, item: r.item.id, queue: q, agent: a, [Self.secs(hold), r.item.id, Self.secs(now - r.offerStart)])
        queues[q].counters.answered += 1
        if hold <= queues[q].settings.serviceLevel { queues[q].counters.answeredWithinServiceLevel += 1 }
        queues[q].counters.totalWait += hold
        queues[q].counters.longestWait = max(queues[q].counters.longestWait, hold)
        setItemPhase(slot, .connected(agent: a))
        items[slot]!.connectedAt = now
        if let m = membership(a, q) { agents[a].memberships[m].calls += 1 }
        agents[a].calls += 1
        agents[a].busySlot = slot
        if r.item.kind.isDurable { durableChanged = true }
        if agents[a].state != .busy(item: r.item.id) { setAgent(a, .busy(item: r.item.id)) }
    }

    mutating func offerFailed(_ id: String, agent agentID: String, reason: OfferFailure) {
        guard let a = agentIndex[agentID], let slot = itemIndex[id], agents[a].offerSlot == slot else { return }
        missOffer(a, slot: slot)
    }

    /// An offer of `slot` to `a` ended unanswered: RINGNOANSWER, the item goes on, the miss counts.
    mutating func missOffer(_ a: Int, slot: Int) {
        let q = items[slot]!.queue
        log(.ringNoAnswer, item: items[slot]!.item.id, queue: q, agent: a,
            [String(Int(((now - agents[a].offerStart) * 1000).rounded()))])
        endOffer(a)
        settleAfterOffer(a, missedQueue: q)
    }

    /// After an offer ended without a call: count a miss (auto-pause, rest), then the pending state or ready.
    mutating func settleAfterOffer(_ a: Int, missedQueue: Int?) {
        if let q = missedQueue {
            agents[a].misses += 1
            agents[a].totalMisses += 1
            let s = queues[q].settings
            if let n = s.autoPauseAfterMisses, n > 0, agents[a].misses >= n, !agents[a].pendingLogout {
                agents[a].misses = 0
                agents[a].pendingPause = nil
                return pauseNow(a, reason: "auto-pause: \(n) missed offers")
            }
            if s.retryDelay > 0 {
                agents[a].restUntil = now + s.retryDelay
                timers.push(now + s.retryDelay, .restEnd(agent: a))
            }
        }
        readyOrPending(a)
    }

    /// A call (and its wrap-up) or an offer is over: log out or pause if asked to, else ready.
    mutating func readyOrPending(_ a: Int) {
        agents[a].wrapUntil = nil
        if agents[a].pendingLogout { return logoutNow(a) }
        if let reason = agents[a].pendingPause {
            agents[a].pendingPause = nil
            return pauseNow(a, reason: reason)
        }
        setAgent(a, .ready)
    }

    mutating func workEnded(_ id: String, agent agentID: String, by: EndedBy, transferTo: String?) {
        guard let a = agentIndex[agentID], let slot = itemIndex[id], let r = items[slot],
              case .connected(let agent) = r.phase, agent == a else { return }
        let q = r.queue
        let hold = Self.secs(r.connectedAt - r.entered), talk = now - r.connectedAt
        let orig = String(r.originalPosition)
        if let transferTo {
            log(.transfer, item: id, queue: q, agent: a, [transferTo, "", hold, Self.secs(talk), orig])
        } else {
            log(by == .caller ? .completeCaller : .completeAgent, item: id, queue: q, agent: a, [hold, Self.secs(talk), orig])
        }
        if let m = membership(a, q) { agents[a].memberships[m].talk += talk }
        agents[a].talk += talk
        let handle = talk + queues[q].settings.wrapUp
        queues[q].averageHandle = queues[q].averageHandle.map { 0.9 * $0 + 0.1 * handle } ?? handle
        removeItem(slot)
        agents[a].busySlot = nil
        agents[a].lastCallEnd = now
        agents[a].idleSince = now
        beginWrapUp(a, queue: q)
    }

    mutating func beginWrapUp(_ a: Int, queue q: Int) {
        let w = queues[q].settings.wrapUp
        guard w > 0 else { return readyOrPending(a) }
        log(.wrapUp, queue: q, agent: a, [Self.secs(w)])
        agents[a].wrapUntil = now + w
        timers.push(now + w, .wrapUpEnd(agent: a))
        setAgent(a, .wrapUp(until: Date(timeIntervalSinceReferenceDate: now + w)))
    }

    mutating func callbackResult(_ id: String, answered: Bool) {
        guard let slot = itemIndex[id], let r = items[slot], case .dialling(let a) = r.phase,
              case .callback(let number, let notBefore, let made) = r.item.kind else { return }
        let attempts = made + 1
        items[slot]!.item.kind = .callback(number: number, notBefore: notBefore, attempts: attempts)
        log(.callbackAttempt, item: id, queue: r.queue, agent: a, [String(attempts), answered ? "answered" : "no-answer"])
        durableChanged = true
        if answered { return connect(slot, agent: a) }
        agents[a].busySlot = nil
        readyOrPending(a)
        let s = queues[r.queue].settings
        let due = now + s.callbackRetryInterval
        if attempts > s.callbackRetries || due >= (r.expiresAt ?? .infinity) {
            setItemPhase(slot, .waiting)
            expire(slot)
        } else {
            setItemPhase(slot, .scheduled(due: due))
            timers.push(due, .callbackDue(slot: slot, seq: r.seq))
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Deadlines: every timer lives in one heap and is checked against its
/// target's own deadline field when it fires, so a stale one (the item left,
/// the agent moved on) does nothing.
extension ACD {
    func item(_ slot: Int, _ seq: UInt64) -> ItemRecord? {
        guard slot < items.count, let r = items[slot], r.seq == seq else { return nil }
        return r
    }

    /// Whether a timer still means something.
    func isLive(_ t: TimerEntry) -> Bool {
        switch t.kind {
        case .offerTimeout(let a): return agents[a].offerDeadline == t.deadline && agents[a].offerSlot != nil
        case .wrapUpEnd(let a): return agents[a].wrapUntil == t.deadline
        case .restEnd(let a): return agents[a].restUntil == t.deadline
        case .maxWait(let slot, let seq):
            guard let r = item(slot, seq) else { return false }
            return r.maxWaitAt == t.deadline && r.isCall && r.inLine
        case .assignedFallback(let slot, let seq):
            guard let r = item(slot, seq) else { return false }
            return r.fallbackAt == t.deadline && r.assignedOnly && r.inLine
        case .announce(let slot, let seq):
            guard let r = item(slot, seq) else { return false }
            return r.announceAt == t.deadline && r.isCall && r.inLine
        case .callbackDue(let slot, let seq):
            guard let r = item(slot, seq) else { return false }
            return r.phase == .scheduled(due: t.deadline)
        case .callbackExpiry(let slot, let seq):
            guard let r = item(slot, seq) else { return false }
            return r.expiresAt == t.deadline && r.inLine
        }
    }

    mutating func fireDueTimers() {
        while let t = timers.top, t.deadline <= now {
            _ = timers.pop()
            if isLive(t) { fire(t) }
        }
    }

    mutating func fire(_ t: TimerEntry) {
        switch t.kind {
        case .offerTimeout(let a):
            let slot = agents[a].offerSlot!
            out.append(.withdraw(item: items[slot]!.item.id, agent: agents[a].settings.id))
            missOffer(a, slot: slot)
        case .wrapUpEnd(let a):
            readyOrPending(a)
        case .restEnd(let a):
            agents[a].restUntil = nil
            refreshFree(a)
        case .maxWait(let slot, _):
            exit(slot, .exitWithTimeout)
        case .assignedFallback(let slot, _):
            updateItem(slot) {
                $0.assignedOnly = false
                $0.fallbackAt = nil
            }
        case .announce(let slot, _):
            let r = items[slot]!
            let position = self.position(slot)
            out.append(.announce(item: r.item.id, position: position, expectedWait: expectedWait(queue: r.queue, position: position)))
            if let i = queues[r.queue].settings.announceInterval {
                items[slot]!.announceAt = now + i
                timers.push(now + i, .announce(slot: slot, seq: r.seq))
            }
        case .callbackDue(let slot, _):
            setItemPhase(slot, .waiting)
        case .callbackExpiry(let slot, _):
            expire(slot)
        }
    }

    /// Drops stale timers from the top so `nextDeadline` names a real one.
    mutating func pruneTimers() {
        while let t = timers.top, !isLive(t) { _ = timers.pop() }
    }

    /// Expected wait of the caller at `position` (1 = next): position × the
    /// queue's average handle time (talk + wrap-up, exponentially weighted) ÷
    /// members logged in. A first-order estimate (it ignores calls already in
    /// progress and their elapsed time); nil before the first call is handled
    /// or when no member is logged in.
    func expectedWait(queue q: Int, position: Int) -> Double? {
        guard let aht = queues[q].averageHandle, queues[q].loggedIn > 0 else { return nil }
        return Double(position) * aht / Double(queues[q].loggedIn)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

extension ACD {
    /// Violations of the ACD's invariants (empty = consistent). For tests: it walks everything.
    public func checkInvariants() -> [String] { checkInvariants(now: nil) }

    /// The same, and (given the time of the last `.tick`) that nothing due at `now` is left pending:
    /// no wrap-up, offer, rest, max wait or callback due time past its deadline.
    public func checkInvariants(now: Date?) -> [String] {
        var v: [String] = []
        let t = now?.timeIntervalSinceReferenceDate
        var offeredBy: [Int: Int] = [:]
        // One pass over each set, recorded per item slot / agent, then per-item lookups.
        var lineOf = [Int](repeating: -1, count: items.count), waitingOf = lineOf, assignedCount = [Int](repeating: 0, count: items.count)
        var freeCount = [Int](repeating: 0, count: agents.count)
        var wrapTimer = [Double](repeating: -1, count: agents.count)
        for q in queues.indices {
            for chunk in queues[q].line.chunks { for k in chunk { lineOf[k.slot] = items[k.slot]?.seq == k.seq ? q : -2 } }
            for chunk in queues[q].waiting.chunks { for k in chunk { waitingOf[k.slot] = items[k.slot]?.seq == k.seq ? q : -2 } }
            for chunk in queues[q].free.chunks { for k in chunk { freeCount[k.agent] += 1 } }
        }
        for a in agents.indices where !agents[a].assigned.isEmpty {
            for chunk in agents[a].assigned.chunks { for k in chunk where items[k.slot]?.seq == k.seq { assignedCount[k.slot] += 1 } }
        }
        for e in timers.entries { if case .wrapUpEnd(let a) = e.kind, e.deadline == agents[a].wrapUntil { wrapTimer[a] = e.deadline } }
        var calls = [Int](repeating: 0, count: queues.count), inLine = calls, logged = calls
        for case let r? in items {
            let id = r.item.id
            if r.inLine {
                inLine[r.queue] += 1
                if r.isCall { calls[r.queue] += 1 }
            }
            if itemIndex[id] != r.slot { v.append("item \(id): index points elsewhere") }
            switch r.phase {
            case .offered(let list):
                if list.isEmpty { v.append("item \(id): offered to nobody") }
                for a in list {
                    if offeredBy.updateValue(r.slot, forKey: a) != nil { v.append("agent \(agents[a].settings.id): two offers") }
                    if agents[a].state != .offered(item: id) || agents[a].offerSlot != r.slot {
                        v.append("item \(id): offered to \(agents[a].settings.id) who is \(agents[a].state)")
                    }
                }
            case .connected(let a), .dialling(let a):
                if agents[a].state != .busy(item: id) || agents[a].busySlot != r.slot {
                    v.append("item \(id): with \(agents[a].settings.id) who is \(agents[a].state)")
                }
            case .scheduled(let due):
                if let t, due <= t { v.append("item \(id): due at \(due) but still scheduled at \(t)") }
            case .waiting: break
            }
            let line = lineOf[r.slot] == r.queue
            if line != r.inLine { v.append("item \(id): line set \(line) vs flag \(r.inLine)") }
            switch r.phase {
            case .connected, .dialling: if r.inLine { v.append("item \(id): in line while with an agent") }
            default: if !r.inLine { v.append("item \(id): out of line while \(r.phase)") }
            }
            let waiting = r.phase == .waiting
            if r.inWaiting != waiting { v.append("item \(id): waiting flag \(r.inWaiting) in phase \(r.phase)") }
            let inQueueSet = waitingOf[r.slot] == r.queue
            if inQueueSet != (waiting && !r.assignedOnly) { v.append("item \(id): queue waiting set \(inQueueSet)") }
            if assignedCount[r.slot] != (waiting && r.assignedOnly ? r.assigned.count : 0) {
                v.append("item \(id): in \(assignedCount[r.slot]) assigned sets")
            }
            if let t, r.isCall, r.inLine, let m = r.maxWaitAt, m <= t { v.append("item \(id): past max wait") }
        }
        if lineOf.contains(-2) || waitingOf.contains(-2) { v.append("a set holds a stale item key") }
        for r in agents where r.isLoggedIn { for m in r.memberships { logged[m.queue] += 1 } }
        for q in queues.indices {
            let name = queues[q].settings.name
            if calls[q] != queues[q].callsInLine { v.append("queue \(name): \(calls[q]) calls in line, counted \(queues[q].callsInLine)") }
            if inLine[q] != queues[q].line.count { v.append("queue \(name): \(inLine[q]) in line, set holds \(queues[q].line.count)") }
            if logged[q] != queues[q].loggedIn { v.append("queue \(name): \(logged[q]) logged in, counted \(queues[q].loggedIn)") }
        }
        for (a, r) in agents.enumerated() {
            let id = r.settings.id
            if freeCount[a] != (r.isFree ? r.memberships.count : 0) || r.memberships.contains(where: { ($0.freeKey != nil) != r.isFree }) {
                v.append("agent \(id): free set membership wrong (free \(r.isFree))")
            }
            switch r.state {
            case .offered(let item):
                guard let slot = r.offerSlot, offeredBy[a] == slot, items[slot]?.item.id == item else {
                    v.append("agent \(id): offered \(item) without a live offer"); break
                }
                if let t, let d = r.offerDeadline, d <= t { v.append("agent \(id): offer past its timeout") }
            case .busy(let item):
                guard let slot = r.busySlot, items[slot]?.item.id == item else { v.append("agent \(id): busy without its item"); break }
            case .wrapUp(let until):
                if r.wrapUntil != until.timeIntervalSinceReferenceDate { v.append("agent \(id): wrap-up without its timer") }
                if let t, until.timeIntervalSinceReferenceDate <= t { v.append("agent \(id): wrap-up past its end") }
                if wrapTimer[a] != until.timeIntervalSinceReferenceDate {
                    v.append("agent \(id): wrap-up has no timer")
                }
            case .loggedOut, .ready, .paused: break
            }
            if case .offered = r.state {} else if r.offerSlot != nil || offeredBy[a] != nil { v.append("agent \(id): offer slot while \(r.state)") }
            if case .wrapUp = r.state {} else if r.wrapUntil != nil { v.append("agent \(id): wrap-up deadline while \(r.state)") }
            if let t, let rest = r.restUntil, rest <= t { v.append("agent \(id): rest past its end") }
            if !r.isLoggedIn, r.pendingLogout || r.pendingPause != nil { v.append("agent \(id): pending request while logged out") }
            // Work conservation: a free agent has nothing it could take.
            if !restoredPending, r.isFree, let slot = bestItem(for: a) {
                v.append("agent \(id): free while \(items[slot]!.item.id) waits for it")
            }
        }
        if !dirtyAgents.isEmpty || !dirtyItems.isEmpty, !restoredPending { v.append("distribution left work undone") }
        return v
    }
}

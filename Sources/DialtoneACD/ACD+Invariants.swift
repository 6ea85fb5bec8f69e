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
        for case let r? in items {
            let id = r.item.id
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
            let line = queues[r.queue].line.contains(r.key)
            if line != r.inLine { v.append("item \(id): line set \(line) vs flag \(r.inLine)") }
            switch r.phase {
            case .connected, .dialling: if r.inLine { v.append("item \(id): in line while with an agent") }
            default: if !r.inLine { v.append("item \(id): out of line while \(r.phase)") }
            }
            let waiting = r.phase == .waiting
            if r.inWaiting != waiting { v.append("item \(id): waiting flag \(r.inWaiting) in phase \(r.phase)") }
            let inQueueSet = queues[r.queue].waiting.contains(r.key)
            if inQueueSet != (waiting && !r.assignedOnly) { v.append("item \(id): queue waiting set \(inQueueSet)") }
            for a in r.assigned where agents[a].assigned.contains(r.key) != (waiting && r.assignedOnly) {
                v.append("item \(id): assigned set of \(agents[a].settings.id) wrong")
            }
            if let t, r.isCall, r.inLine, let m = r.maxWaitAt, m <= t { v.append("item \(id): past max wait") }
        }
        for (q, record) in queues.enumerated() {
            var calls = 0, count = 0
            for key in record.line.all {
                count += 1
                guard let r = items[key.slot], r.seq == key.seq, r.queue == q else { v.append("queue \(q): stale line key"); continue }
                if r.isCall { calls += 1 }
            }
            if calls != record.callsInLine { v.append("queue \(record.settings.name): \(calls) calls in line, counted \(record.callsInLine)") }
            if count != record.line.count { v.append("queue \(record.settings.name): line count") }
            let logged = record.members.filter { agents[$0].isLoggedIn }.count
            if logged != record.loggedIn { v.append("queue \(record.settings.name): \(logged) logged in, counted \(record.loggedIn)") }
            for k in record.free.all where !agents[k.agent].isFree { v.append("queue \(record.settings.name): \(agents[k.agent].settings.id) in free set, not free") }
        }
        for (a, r) in agents.enumerated() {
            let id = r.settings.id
            for m in r.memberships where (m.freeKey != nil) != r.isFree || (m.freeKey.map { queues[m.queue].free.contains($0) } ?? false) != r.isFree {
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
                if !timers.entries.contains(where: { $0.kind == .wrapUpEnd(agent: a) && $0.deadline == r.wrapUntil }) {
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

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Distribution: the free-agent and waiting-item sets, and matching them.
///
/// Each queue keeps its free members ordered by the strategy's key, its
/// offerable items ordered by (priority, arrival), and its whole line for
/// positions; each agent keeps the items assigned to it that are still in
/// their assigned-only phase. Any change that frees an agent or makes an item
/// offerable marks it dirty; `distribute()` then matches only the dirty ones,
/// so a decision costs O(queues per agent · log n), not a scan.
extension ACD {
    // MARK: - Free agents

    func freeKey(_ a: Int, _ m: Membership) -> FreeKey {
        let r = agents[a]
        let (p, s): (Double, Double)
        switch queues[m.queue].settings.strategy {
        case .longestIdle: (p, s) = (r.idleSince, 0)
        case .fewestCalls: (p, s) = (Double(m.calls), r.idleSince)
        case .leastTalkTime: (p, s) = (m.talk, r.idleSince)
        case .skillsWeighted: (p, s) = (Double(-m.skill), r.idleSince)
        case .roundRobin, .ringAll, .linear, .random: (p, s) = (0, 0)
        }
        return FreeKey(primary: p, secondary: s, member: m.order, agent: a)
    }

    /// Puts the agent into (or takes it out of) its queues' free sets to match `isFree`.
    mutating func refreshFree(_ a: Int) {
        let free = agents[a].isFree
        var becameFree = false
        for i in agents[a].memberships.indices {
            let m = agents[a].memberships[i]
            if free, m.freeKey == nil {
                let k = freeKey(a, m)
                queues[m.queue].free.insert(k)
                agents[a].memberships[i].freeKey = k
                becameFree = true
            } else if !free, let k = m.freeKey {
                queues[m.queue].free.remove(k)
                agents[a].memberships[i].freeKey = nil
            }
        }
        if free && (becameFree || agents[a].memberships.isEmpty) { dirtyAgents.append(a) }
    }

    // MARK: - Items in line

    /// Takes the item out of every set, applies `change`, and puts it back where its new state belongs.
    /// Stage changes go into the item's short history.
    mutating func updateItem(_ slot: Int, _ change: (inout ItemRecord) -> Void) {
        unlist(slot)
        let from = items[slot]!.phase.stage
        change(&items[slot]!)
        let to = items[slot]!.phase.stage
        if from != to {
            if items[slot]!.history.count >= 8 { items[slot]!.history.removeFirst() }
            items[slot]!.history.append(ItemTransition(time: Date(timeIntervalSinceReferenceDate: now), from: from, to: to))
        }
        relist(slot)
    }

    mutating func unlist(_ slot: Int) {
        guard let r = items[slot] else { return }
        let key = r.key
        if r.inWaiting {
            if r.assignedOnly {
                for a in r.assigned { agents[a].assigned.remove(key) }
            } else {
                queues[r.queue].waiting.remove(key)
            }
            items[slot]!.inWaiting = false
        }
        if r.inLine {
            queues[r.queue].line.remove(key)
            if r.isCall { queues[r.queue].callsInLine -= 1 }
            items[slot]!.inLine = false
        }
    }

    mutating func relist(_ slot: Int) {
        guard let r = items[slot] else { return }
        let key = r.key
        switch r.phase {
        case .waiting, .scheduled, .offered:
            queues[r.queue].line.insert(key)
            if r.isCall { queues[r.queue].callsInLine += 1 }
            items[slot]!.inLine = true
        case .dialling, .connected: break
        }
        if case .waiting = r.phase {
            if r.assignedOnly {
                for a in r.assigned { agents[a].assigned.insert(key) }
            } else {
                queues[r.queue].waiting.insert(key)
            }
            items[slot]!.inWaiting = true
            dirtyItems.append(slot)
        }
    }

    mutating func setItemPhase(_ slot: Int, _ phase: ItemPhase) {
        updateItem(slot) { $0.phase = phase }
    }

    // MARK: - Matching

    /// Matches dirty agents (each to the best item across its queues and
    /// assignments) and dirty items (best first, each to the agent its
    /// queue's strategy chooses) until nothing more can be offered.
    mutating func distribute() {
        while !dirtyAgents.isEmpty || !dirtyItems.isEmpty {
            if !dirtyAgents.isEmpty {
                let batch = dirtyAgents
                dirtyAgents.removeAll(keepingCapacity: true)
                for a in batch {
                    while agents[a].isFree, let slot = bestItem(for: a) {
                        if !offer(slot) { break }
                    }
                }
                continue
            }
            var batch = dirtyItems
            dirtyItems.removeAll(keepingCapacity: true)
            if batch.count > 1 {
                batch.sort { a, b in
                    guard let x = items[a], let y = items[b] else { return items[a] == nil && items[b] != nil }
                    return x.key < y.key
                }
            }
            for slot in batch {
                if let r = items[slot], case .waiting = r.phase { _ = offer(slot) }
            }
        }
    }

    /// The best offerable item for a free agent: its assigned items and its queues' waiting items, by (priority, arrival).
    func bestItem(for a: Int) -> Int? {
        var best = agents[a].assigned.first
        for m in agents[a].memberships {
            if let k = queues[m.queue].waiting.first, best.map({ k < $0 }) ?? true { best = k }
        }
        return best?.slot
    }

    /// The free agents an offer of this item goes to now (empty: none free).
    mutating func chooseAgents(_ slot: Int) -> [Int] {
        let r = items[slot]!
        let q = r.queue
        let strategy = queues[q].settings.strategy
        if r.assignedOnly {
            let free = r.assigned.filter { agents[$0].isFree }
            return strategy == .ringAll ? free : Array(free.prefix(1))
        }
        let free = queues[q].free
        guard let first = free.first else { return [] }
        switch strategy {
        case .ringAll:
            return free.all.map(\.agent)
        case .roundRobin:
            let next = free.first(notLessThan: FreeKey(primary: 0, secondary: 0, member: queues[q].lastOffered + 1, agent: -1))
            return [(next ?? first).agent]
        case .random:
            return [free.element(at: rng.next(below: free.count)).agent]
        case .longestIdle, .fewestCalls, .leastTalkTime, .linear, .skillsWeighted:
            return [first.agent]
        }
    }

    /// Offers the item to the agents its strategy chooses; false if none is free.
    @discardableResult
    mutating func offer(_ slot: Int) -> Bool {
        let chosen = chooseAgents(slot)
        guard !chosen.isEmpty else { return false }
        let q = items[slot]!.queue
        let timeout = queues[q].settings.offerTimeout
        setItemPhase(slot, .offered(chosen))
        items[slot]!.offerStart = now
        let id = items[slot]!.item.id
        let kind = items[slot]!.offerKind
        for a in chosen {
            agents[a].offerSlot = slot
            agents[a].offerStart = now
            agents[a].offerDeadline = now + timeout
            timers.push(now + timeout, .offerTimeout(agent: a))
            if let m = membership(a, q) { queues[q].lastOffered = agents[a].memberships[m].order }
            setAgent(a, .offered(item: id))
            out.append(.offer(item: id, agent: agents[a].settings.id, timeout: timeout, kind: kind))
        }
        return true
    }

    /// Ends agent `a`'s offer of its item (no call resulted); the item goes back in line when no offer is left.
    mutating func endOffer(_ a: Int) {
        guard let slot = agents[a].offerSlot else { return }
        agents[a].offerSlot = nil
        agents[a].offerDeadline = nil
        guard let r = items[slot], case .offered(let list) = r.phase else { return }
        let rest = list.filter { $0 != a }
        setItemPhase(slot, rest.isEmpty ? .waiting : .offered(rest))
    }

    /// Withdraws every offer of the item except `except`'s; the agents go back to ready (or their pending state).
    /// The item is updated first, so nothing the agents' settling does can see a half-withdrawn item.
    mutating func withdrawOffers(_ slot: Int, except: Int? = nil) {
        guard let r = items[slot], case .offered(let list) = r.phase else { return }
        let losers = list.filter { $0 != except }
        items[slot]!.phase = .offered(except.map { [$0] } ?? [])
        if except == nil { setItemPhase(slot, .waiting) }
        for a in losers {
            out.append(.withdraw(item: r.item.id, agent: agents[a].settings.id))
            agents[a].offerSlot = nil
            agents[a].offerDeadline = nil
            settleAfterOffer(a, missedQueue: nil)
        }
    }
}

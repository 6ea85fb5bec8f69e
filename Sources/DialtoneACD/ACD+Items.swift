// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Work items entering and leaving a queue's line: arrival, abandon, exits
/// and overflow, conversion to a callback or a message.
extension ACD {
    /// 1-based place in the item's queue line (where it would be, if not in line).
    func position(_ slot: Int) -> Int {
        let r = items[slot]!
        return queues[r.queue].line.rank(of: r.key) + 1
    }

    mutating func arrive(_ item: WorkItem) {
        guard itemIndex[item.id] == nil else { return }
        guard let q = queueIndex[item.queue] else {
            out.append(.overflow(item: item.id, .hangup))
            return
        }
        let slot = storeItem(item, queue: q)
        enqueue(slot)
    }

    mutating func storeItem(_ item: WorkItem, queue q: Int) -> Int {
        sequence += 1
        var r = ItemRecord(item: item, queue: q, seq: sequence, entered: now)
        let slot: Int
        if let free = freeSlots.popLast() { slot = free } else { slot = items.count; items.append(nil) }
        r.slot = slot
        items[slot] = r
        itemIndex[item.id] = slot
        if item.kind.isDurable { durableChanged = true }
        return slot
    }

    mutating func removeItem(_ slot: Int) {
        guard let r = items[slot] else { return }
        unlist(slot)
        items[slot] = nil
        itemIndex[r.item.id] = nil
        freeSlots.append(slot)
        if r.item.kind.isDurable { durableChanged = true }
    }

    /// Enters a stored (and unlisted) item into its queue's line: ENTERQUEUE, admission (max length, empty queue), timers.
    mutating func enqueue(_ slot: Int) {
        let r = items[slot]!
        let q = r.queue
        let s = queues[q].settings
        log(.enterQueue, item: r.item.id, queue: q, ["", r.item.callerNumber, String(r.item.priority)])
        queues[q].counters.entered += 1
        items[slot]!.entered = now
        if r.isCall {
            if let max = s.maxLength, queues[q].callsInLine >= max { return exit(slot, .exitFull) }
            if s.overflow != nil, queues[q].loggedIn == 0 { return exit(slot, .exitEmpty) }
        }
        var seen = Set<Int>()
        let assigned = r.item.assignedAgents.compactMap { agentIndex[$0] }.filter { seen.insert($0).inserted }
        items[slot]!.assigned = assigned
        items[slot]!.assignedOnly = false
        if !assigned.isEmpty, s.assignedWait > 0 {
            items[slot]!.assignedOnly = true
            items[slot]!.fallbackAt = now + s.assignedWait
            timers.push(now + s.assignedWait, .assignedFallback(slot: slot, seq: r.seq))
        }
        items[slot]!.phase = .waiting
        switch r.item.kind {
        case .call:
            if let w = s.maxWait {
                items[slot]!.maxWaitAt = now + w
                timers.push(now + w, .maxWait(slot: slot, seq: r.seq))
            }
            if let i = s.announceInterval, i > 0 {
                items[slot]!.announceAt = now + i
                timers.push(now + i, .announce(slot: slot, seq: r.seq))
            }
        case .callback(_, let notBefore, _):
            let due = notBefore?.timeIntervalSinceReferenceDate ?? now
            if due > now {
                items[slot]!.phase = .scheduled(due: due)
                timers.push(due, .callbackDue(slot: slot, seq: r.seq))
            }
            setExpiry(slot, from: max(now, due))
        case .message, .fax: break
        }
        relist(slot)
        items[slot]!.originalPosition = position(slot)
    }

    mutating func setExpiry(_ slot: Int, from start: Double) {
        let r = items[slot]!
        let at = start + queues[r.queue].settings.callbackExpiry
        items[slot]!.expiresAt = at
        timers.push(at, .callbackExpiry(slot: slot, seq: r.seq))
    }

    /// The item leaves by max wait, max length or an empty queue: EXIT… and OVERFLOW are logged,
    /// the overflow action returned; overflow into another queue moves the item there.
    mutating func exit(_ slot: Int, _ kind: QueueEvent.Kind) {
        withdrawOffers(slot)
        let r = items[slot]!
        let q = r.queue
        let fields = [String(position(slot)), String(r.originalPosition), Self.secs(now - r.entered)]
        var target = queues[q].settings.overflow ?? .hangup
        var into: Int?
        if case .queue(let name) = target {
            if let nq = queueIndex[name], nq != q, r.hops < 4 { into = nq } else { target = .hangup }
        }
        log(kind, item: r.item.id, queue: q, fields)
        log(.overflow, item: r.item.id, queue: q, [target.logTarget] + fields)
        queues[q].counters.exited += 1
        out.append(.overflow(item: r.item.id, target))
        if let into {
            unlist(slot)
            items[slot]!.queue = into
            items[slot]!.item.queue = queues[into].settings.name
            items[slot]!.hops += 1
            items[slot]!.maxWaitAt = nil
            items[slot]!.announceAt = nil
            items[slot]!.fallbackAt = nil
            enqueue(slot)
        } else {
            removeItem(slot)
        }
    }

    /// The item in line, if it is a call (waiting, or being offered).
    func callInLine(_ id: String) -> Int? {
        guard let slot = itemIndex[id], let r = items[slot], r.isCall, r.inLine else { return nil }
        return slot
    }

    mutating func callerLeft(_ id: String) {
        guard let slot = callInLine(id) else { return }
        withdrawOffers(slot)
        let r = items[slot]!
        log(.abandon, item: id, queue: r.queue,
            [String(position(slot)), String(r.originalPosition), Self.secs(now - r.entered)])
        queues[r.queue].counters.abandoned += 1
        removeItem(slot)
    }

    mutating func convertToCallback(_ id: String, number: String, at: Date?) {
        guard let slot = callInLine(id) else { return }
        withdrawOffers(slot)
        let r = items[slot]!
        let due = at.map { max(now, $0.timeIntervalSinceReferenceDate) } ?? now
        log(.callbackRequested, item: id, queue: r.queue,
            [number, String(position(slot)), Self.secs(now - r.entered),
             at.map { String(Int($0.timeIntervalSince1970)) } ?? ""])
        queues[r.queue].counters.callbacksRequested += 1
        let phase: ItemPhase = due > now ? .scheduled(due: due) : .waiting
        updateItem(slot) {
            $0.item.kind = .callback(number: number, notBefore: at, attempts: 0)
            $0.maxWaitAt = nil
            $0.announceAt = nil
            $0.recording = false
            $0.phase = phase
        }
        if due > now { timers.push(due, .callbackDue(slot: slot, seq: r.seq)) }
        setExpiry(slot, from: due)
        durableChanged = true
    }

    mutating func messageStarted(_ id: String) {
        guard let slot = callInLine(id) else { return }
        items[slot]!.recording = true
    }

    mutating func messageLeft(_ id: String, path: String, seconds: Double) {
        guard let slot = callInLine(id) else { return }
        withdrawOffers(slot)
        let r = items[slot]!
        log(.message, item: id, queue: r.queue,
            [path, String(format: "%.1f", seconds), String(position(slot)), Self.secs(now - r.entered)])
        queues[r.queue].counters.messages += 1
        updateItem(slot) {
            $0.item.kind = .message(path: path, seconds: seconds)
            $0.maxWaitAt = nil
            $0.announceAt = nil
            $0.recording = false
            $0.phase = .waiting
        }
        durableChanged = true
    }

    /// A callback that ran out of time or attempts leaves the line: CALLBACKEXPIRED.
    mutating func expire(_ slot: Int) {
        withdrawOffers(slot)
        let r = items[slot]!
        var attempts = 0
        if case .callback(_, _, let n) = r.item.kind { attempts = n }
        log(.callbackExpired, item: r.item.id, queue: r.queue, [String(attempts)])
        queues[r.queue].counters.callbacksExpired += 1
        removeItem(slot)
    }
}

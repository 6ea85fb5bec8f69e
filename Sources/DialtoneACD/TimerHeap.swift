// SPDX-License-Identifier: GPL-2.0-or-later

/// What a deadline is for. Every timer names its target (an agent index, or
/// an item slot with the item's sequence number) and is checked against the
/// target's own deadline field when it fires: a stale timer does nothing.
enum TimerKind: Sendable, Hashable {
    case offerTimeout(agent: Int)
    case wrapUpEnd(agent: Int)
    case restEnd(agent: Int)
    case maxWait(slot: Int, seq: UInt64)
    case assignedFallback(slot: Int, seq: UInt64)
    case announce(slot: Int, seq: UInt64)
    case callbackDue(slot: Int, seq: UInt64)
    case callbackExpiry(slot: Int, seq: UInt64)
}

struct TimerEntry: Sendable {
    var deadline: Double
    var order: UInt64
    var kind: TimerKind

    func before(_ o: TimerEntry) -> Bool {
        deadline < o.deadline || (deadline == o.deadline && order < o.order)
    }
}

/// A binary min-heap of deadlines (seconds since the reference date), ties in insertion order.
struct TimerHeap: Sendable {
    private(set) var entries: [TimerEntry] = []
    private var order: UInt64 = 0

    var top: TimerEntry? { entries.first }
    var count: Int { entries.count }

    mutating func push(_ deadline: Double, _ kind: TimerKind) {
        order += 1
        entries.append(TimerEntry(deadline: deadline, order: order, kind: kind))
        var i = entries.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard entries[i].before(entries[p]) else { break }
            entries.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> TimerEntry? {
        guard !entries.isEmpty else { return nil }
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < entries.count, entries[l].before(entries[m]) { m = l }
                if r < entries.count, entries[r].before(entries[m]) { m = r }
                if m == i { break }
                entries.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    mutating func removeAll() { entries.removeAll() }
}

/// SplitMix64: the seeded generator behind the random strategy.
struct SplitMix64: Sendable, Codable, Equatable {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

// SPDX-License-Identifier: GPL-2.0-or-later

/// What a fax deadline is for; checked against its target when it fires (a stale timer does nothing).
enum FaxTimerKind: Sendable, Hashable {
    case jobDue(String)
    case retry(FaxDestinationKey, attempt: Int)
}

struct FaxTimerEntry: Sendable {
    var deadline: Double
    var order: UInt64
    var kind: FaxTimerKind

    func before(_ o: FaxTimerEntry) -> Bool { deadline < o.deadline || (deadline == o.deadline && order < o.order) }
}

/// A binary min-heap of deadlines (seconds since the reference date), ties in insertion order.
struct FaxTimerHeap: Sendable {
    private(set) var entries: [FaxTimerEntry] = []
    private var order: UInt64 = 0

    var top: FaxTimerEntry? { entries.first }
    var count: Int { entries.count }

    mutating func push(_ deadline: Double, _ kind: FaxTimerKind) {
        order += 1
        entries.append(FaxTimerEntry(deadline: deadline, order: order, kind: kind))
        var i = entries.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard entries[i].before(entries[p]) else { break }
            entries.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> FaxTimerEntry? {
        guard !entries.isEmpty else { return nil }
        let top = entries[0]
        let last = entries.removeLast()
        guard !entries.isEmpty else { return top }
        entries[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < entries.count, entries[l].before(entries[m]) { m = l }
            if r < entries.count, entries[r].before(entries[m]) { m = r }
            guard m != i else { break }
            entries.swapAt(i, m)
            i = m
        }
        return top
    }
}

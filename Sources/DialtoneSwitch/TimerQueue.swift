// SPDX-License-Identifier: GPL-2.0-or-later

/// Armed timers in deadline order, for one sleeping task to drive (instead
/// of a task and a system timer per timer). Timers of equal duration armed
/// on a monotonic clock expire in the order they were armed, so each
/// duration has a FIFO list and the next deadline is the earliest of the
/// lists' heads — libevent's "common timeouts". The switch arms few
/// distinct durations (the start's fallback, answer timeouts per route,
/// the inter-digit timeout, application timers).
///
/// Nodes live in one array with a free list and are doubly linked, so a
/// timer is cancelled in O(1) and the queue holds only the timers armed.
/// A ``Handle`` names one arming: a handle to a node freed and reused
/// since is stale and cancels nothing.
///
/// Pure: the caller passes `now` (from the injected clock).
struct TimerQueue<Instant: InstantProtocol, Payload> {
    typealias Handle = TimerHandle

    private struct Node {
        var deadline: Instant
        var payload: Payload?
        var list: Int
        var prev = -1
        var next = -1
        var generation = 0
    }

    private struct List {
        var duration: Instant.Duration
        var head = -1
        var tail = -1
    }

    private var nodes: [Node] = []
    private var free: [Int] = []
    private var lists: [List] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    /// Nodes allocated (armed or free for reuse).
    var storage: Int { nodes.count }

    /// Arms `payload` to expire `duration` after `now`. `now` must not go
    /// back between calls (a monotonic clock).
    mutating func schedule(_ payload: Payload, after duration: Instant.Duration, now: Instant) -> Handle {
        let l = listIndex(duration)
        let deadline = now.advanced(by: duration)
        let index: Int
        if let reused = free.popLast() {
            index = reused
            nodes[index].deadline = deadline
            nodes[index].payload = payload
            nodes[index].list = l
            nodes[index].generation &+= 1
        } else {
            index = nodes.count
            nodes.append(Node(deadline: deadline, payload: payload, list: l))
        }
        let tail = lists[l].tail
        nodes[index].prev = tail
        nodes[index].next = -1
        if tail >= 0 { nodes[tail].next = index } else { lists[l].head = index }
        lists[l].tail = index
        count += 1
        return Handle(index: index, generation: nodes[index].generation)
    }

    /// Disarms a timer; nothing when it expired or was cancelled already.
    mutating func cancel(_ handle: Handle) {
        guard handle.index < nodes.count, nodes[handle.index].generation == handle.generation,
              nodes[handle.index].payload != nil else { return }
        unlink(handle.index)
    }

    /// The earliest deadline armed.
    var nextDeadline: Instant? {
        var best: Instant?
        for list in lists where list.head >= 0 {
            let d = nodes[list.head].deadline
            if best.map({ d < $0 }) ?? true { best = d }
        }
        return best
    }

    /// Takes the timers whose deadline is `now` or earlier, earliest first within each duration.
    mutating func expired(now: Instant) -> [Payload] {
        var out: [Payload] = []
        for l in lists.indices {
            while lists[l].head >= 0, nodes[lists[l].head].deadline <= now {
                let index = lists[l].head
                if let payload = nodes[index].payload { out.append(payload) }
                unlink(index)
            }
        }
        return out
    }

    private mutating func listIndex(_ duration: Instant.Duration) -> Int {
        if let i = lists.firstIndex(where: { $0.duration == duration }) { return i }
        lists.append(List(duration: duration))
        return lists.count - 1
    }

    private mutating func unlink(_ index: Int) {
        let n = nodes[index]
        if n.prev >= 0 { nodes[n.prev].next = n.next } else { lists[n.list].head = n.next }
        if n.next >= 0 { nodes[n.next].prev = n.prev } else { lists[n.list].tail = n.prev }
        nodes[index].payload = nil
        nodes[index].prev = -1
        nodes[index].next = -1
        free.append(index)
        count -= 1
    }
}

/// One arming of a timer in a ``TimerQueue``.
struct TimerHandle: Hashable, Sendable {
    fileprivate let index: Int
    fileprivate let generation: Int
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// A bounded single-producer/single-consumer queue of small values, the way
/// commands reach a media thread and events leave it: storage allocated once,
/// `push`/`pop` never allocate, lock or wait.
public final class SPSCQueue<Element: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Element?>
    public let capacity: Int
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)

    public init(capacity: Int) {
        precondition(capacity > 1)
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    /// Producer side. Returns false when full.
    @discardableResult
    public func push(_ value: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let next = (t + 1) % capacity
        if next == head.load(ordering: .acquiring) { return false }
        slots[t] = value
        tail.store(next, ordering: .releasing)
        return true
    }

    /// How many are queued (either side; a snapshot).
    public var count: Int {
        let h = head.load(ordering: .acquiring), t = tail.load(ordering: .acquiring)
        return (t - h + capacity) % capacity
    }

    /// True when nothing is queued (either side; a snapshot).
    public var isEmpty: Bool { head.load(ordering: .acquiring) == tail.load(ordering: .acquiring) }

    /// Consumer side. Returns nil when empty.
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        if h == tail.load(ordering: .acquiring) { return nil }
        let value = slots[h]
        slots[h] = nil
        head.store((h + 1) % capacity, ordering: .releasing)
        return value
    }
}

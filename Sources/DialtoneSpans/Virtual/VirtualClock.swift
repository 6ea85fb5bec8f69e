// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc
import Synchronization

/// Something the virtual clock drives once per tick before waking media
/// threads: the "wire" of a virtual link moving one frame per channel.
public protocol ClockedWire: AnyObject, Sendable {
    func clockTick()
}

/// The user-space 20 ms clock that times every virtual span of the process,
/// like a TDM bus: one thread, absolute-deadline sleeps (no drift), and on
/// each tick it first moves frames along every virtual wire, then wakes
/// every subscribed media thread.
///
/// It ticks only while there is demand: an active (not paused) waiter or a
/// ``hold()``. Without demand the thread sleeps on a semaphore; when demand
/// returns it re-anchors on the current time, so idle time is never caught
/// up in a burst of ticks.
public final class VirtualClock: FrameClock, @unchecked Sendable {
    public static let shared = VirtualClock()

    private struct Members {
        var wires: [ObjectIdentifier: any ClockedWire] = [:]
        var waiters: [ObjectIdentifier: TickWaiter] = [:]
        var paused: Set<ObjectIdentifier> = []
        var holds = 0
        var started = false
        var parked = false
        // Snapshots the tick loop reads: rebuilt on change, never per tick.
        var wireList: [any ClockedWire] = []
        var waiterList: [TickWaiter] = []  // the active ones

        var demand: Bool { !waiterList.isEmpty || holds > 0 }

        mutating func rebuild() {
            waiterList = waiters.filter { !paused.contains($0.key) }.map(\.value)
        }

        /// True when the parked clock thread must be woken (called after a change).
        mutating func unpark() -> Bool {
            guard parked && demand else { return false }
            parked = false
            return true
        }
    }
    private let members = Mutex(Members())
    private let wake = DispatchSemaphore(value: 0)
    private let tickCount = Atomic<UInt64>(0)
    private let lateTicks = Atomic<UInt64>(0)
    public let periodNanoseconds: Int

    public init(periodNanoseconds: Int = 20_000_000) {
        self.periodNanoseconds = periodNanoseconds
    }

    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    /// Ticks that fired more than one period late (the host was overloaded).
    public var late: UInt64 { lateTicks.load(ordering: .relaxed) }
    /// True while the clock thread sleeps for want of demand.
    public var isParked: Bool { members.withLock { $0.parked } }

    public func subscribe() -> TickWaiter {
        let waiter = TickWaiter()
        change {
            $0.waiters[ObjectIdentifier(waiter)] = waiter
            $0.rebuild()
        }
        startIfNeeded()
        return waiter
    }

    public func unsubscribe(_ waiter: TickWaiter) {
        change {
            $0.waiters[ObjectIdentifier(waiter)] = nil
            $0.paused.remove(ObjectIdentifier(waiter))
            $0.rebuild()
        }
    }

    public func pause(_ waiter: TickWaiter) {
        change {
            $0.paused.insert(ObjectIdentifier(waiter))
            $0.rebuild()
        }
    }

    public func resume(_ waiter: TickWaiter) {
        waiter.discardPending()
        change {
            $0.paused.remove(ObjectIdentifier(waiter))
            $0.rebuild()
        }
    }

    /// Keeps the clock ticking without a waiter (a wire whose far end, in
    /// another process, is clocked by it); one ``release()`` per hold.
    public func hold() { change { $0.holds += 1 } }
    public func release() { change { $0.holds -= 1 } }

    public func attach(_ wire: any ClockedWire) {
        change {
            $0.wires[ObjectIdentifier(wire)] = wire
            $0.wireList = Array($0.wires.values)
        }
        startIfNeeded()
    }

    public func detach(_ wire: any ClockedWire) {
        change {
            $0.wires[ObjectIdentifier(wire)] = nil
            $0.wireList = Array($0.wires.values)
        }
    }

    /// Applies a membership change and wakes the parked thread when demand returned.
    private func change(_ body: (inout Members) -> Void) {
        let unpark = members.withLock { m -> Bool in
            body(&m)
            return m.unpark()
        }
        if unpark { wake.signal() }
    }

    private func startIfNeeded() {
        let start = members.withLock { m -> Bool in
            if m.started { return false }
            m.started = true
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in run() }
        thread.name = "dialtone.clock"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func run() {
        var next = timespec()
        clock_gettime(CLOCK_MONOTONIC, &next)
        while true {
            let idle = members.withLock { m -> Bool in
                if m.demand { return false }
                m.parked = true
                return true
            }
            if idle {
                wake.wait()
                clock_gettime(CLOCK_MONOTONIC, &next)  // re-anchor: idle time is not caught up
                continue
            }
            next.tv_nsec += periodNanoseconds
            while next.tv_nsec >= 1_000_000_000 { next.tv_nsec -= 1_000_000_000; next.tv_sec += 1 }
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nil) == EINTR {}
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let behind = (now.tv_sec - next.tv_sec) * 1_000_000_000 + (now.tv_nsec - next.tv_nsec)
            if behind > periodNanoseconds { lateTicks.add(1, ordering: .relaxed) }
            if behind > 50 * periodNanoseconds { next = now }  // suspended: re-anchor instead of bursting
            let (wires, waiters) = members.withLock { ($0.wireList, $0.waiterList) }
            for wire in wires { wire.clockTick() }
            tickCount.add(1, ordering: .relaxed)
            for waiter in waiters { waiter.signal() }
        }
    }
}

import Foundation

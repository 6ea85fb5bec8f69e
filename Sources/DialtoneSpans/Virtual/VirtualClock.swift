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
public final class VirtualClock: FrameClock, @unchecked Sendable {
    public static let shared = VirtualClock()

    private struct Members {
        var wires: [ObjectIdentifier: any ClockedWire] = [:]
        var waiters: [ObjectIdentifier: TickWaiter] = [:]
        var started = false
        // Snapshots the tick loop reads: rebuilt on change, never per tick.
        var wireList: [any ClockedWire] = []
        var waiterList: [TickWaiter] = []
    }
    private let members = Mutex(Members())
    private let tickCount = Atomic<UInt64>(0)
    private let lateTicks = Atomic<UInt64>(0)
    public let periodNanoseconds: Int

    public init(periodNanoseconds: Int = 20_000_000) {
        self.periodNanoseconds = periodNanoseconds
    }

    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    /// Ticks that fired more than one period late (the host was overloaded).
    public var late: UInt64 { lateTicks.load(ordering: .relaxed) }

    public func subscribe() -> TickWaiter {
        let waiter = TickWaiter()
        members.withLock {
            $0.waiters[ObjectIdentifier(waiter)] = waiter
            $0.waiterList = Array($0.waiters.values)
        }
        startIfNeeded()
        return waiter
    }

    public func unsubscribe(_ waiter: TickWaiter) {
        members.withLock {
            $0.waiters[ObjectIdentifier(waiter)] = nil
            $0.waiterList = Array($0.waiters.values)
        }
    }

    public func attach(_ wire: any ClockedWire) {
        members.withLock {
            $0.wires[ObjectIdentifier(wire)] = wire
            $0.wireList = Array($0.wires.values)
        }
        startIfNeeded()
    }

    public func detach(_ wire: any ClockedWire) {
        members.withLock {
            $0.wires[ObjectIdentifier(wire)] = nil
            $0.wireList = Array($0.wires.values)
        }
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

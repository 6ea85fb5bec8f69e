// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// A 20 ms timing source for media threads (a TDM bus clock).
///
/// A media thread subscribes once and then blocks in ``TickWaiter/wait(timeoutMs:)``
/// each tick; no allocation, lock or `await` is involved in waiting.
///
/// A media thread with nothing to clock (no channel in use) pauses its
/// waiter and sleeps on a ``Doorbell``; a clock none of whose waiters is
/// active stops ticking (the virtual clock's thread sleeps, the DAHDI timer
/// is switched off) until a waiter resumes. Idle time is not caught up: the
/// first tick after a resume comes one period later.
public protocol FrameClock: AnyObject, Sendable {
    /// Registers a waiter that is woken on every tick (active at once).
    func subscribe() -> TickWaiter
    func unsubscribe(_ waiter: TickWaiter)
    /// Stops waking `waiter` until ``resume(_:)``.
    func pause(_ waiter: TickWaiter)
    /// Wakes `waiter` again from the next tick on (ticks it missed are dropped).
    func resume(_ waiter: TickWaiter)
    /// Ticks since the clock started.
    var ticks: UInt64 { get }
}

/// A waiter on a frame clock, backed by a non-blocking pipe (one byte per tick).
public final class TickWaiter: @unchecked Sendable {
    public let fd: Int32
    private let writeFD: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe failed: \(errno)")
        for f in fds {
            _ = fcntl(f, F_SETFL, fcntl(f, F_GETFL) | O_NONBLOCK)
            _ = fcntl(f, F_SETFD, FD_CLOEXEC)
        }
        fd = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(fd)
        close(writeFD)
    }

    /// Called by the clock: wakes the waiter.
    public func signal() {
        var one: UInt8 = 1
        _ = write(writeFD, &one, 1)
    }

    /// Drops ticks signalled but not waited for (a waiter that was paused).
    public func discardPending() {
        var drained: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while withUnsafeMutableBytes(of: &drained, { read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Takes what was signalled, without waiting: one `read`, for an owner
    /// whose own `poll` on ``fd`` has just reported it readable.
    public func takeSignalled() {
        var drained: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        _ = withUnsafeMutableBytes(of: &drained) { read(fd, $0.baseAddress, $0.count) }
    }

    /// Blocks until the next tick (or timeout). Returns the ticks elapsed since
    /// the last wait (more than 1 means this thread fell behind), 0 on timeout.
    public func wait(timeoutMs: Int32 = 100) -> UInt64 {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&pfd, 1, timeoutMs)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return 0 }
            var drained: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            let n = withUnsafeMutableBytes(of: &drained) { read(fd, $0.baseAddress, $0.count) }
            return n > 0 ? UInt64(n) : 0
        }
    }
}

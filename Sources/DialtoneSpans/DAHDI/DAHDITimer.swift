// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI
import Dispatch
import Foundation
import Glibc
import Synchronization

/// The 20 ms frame clock of a DAHDI system: `/dev/dahdi/timer`, which fires
/// from the span that provides timing (or the DAHDI core timer), so media
/// ticks stay locked to the line instead of drifting against it.
///
/// `DAHDI_TIMERCONFIG 160` asks for an expiry every 160 samples; one thread
/// polls the descriptor for POLLPRI, acknowledges one expiry with
/// `DAHDI_TIMERACK 1` and wakes every ``TickWaiter``. Acknowledging one at a
/// time keeps the tick count exact when the thread falls behind: the next
/// poll returns at once while expiries are still pending.
///
/// When an expiry finds no active waiter (every media thread paused: no
/// channel in use), the thread switches the timer off (`DAHDI_TIMERCONFIG 0`,
/// pending expiries acknowledged) and sleeps until a waiter resumes; then
/// `DAHDI_TIMERCONFIG 160` again, so the first tick comes a period later and
/// the idle time is never caught up.
public final class DAHDITimer: FrameClock, @unchecked Sendable {
    /// Samples per tick at 8 kHz: 20 ms.
    public static let samplesPerTick = Int32(frameBytes)

    private let sys: any DAHDISystemCalls
    public let path: String
    private let running = Atomic<Bool>(false)
    private let tickCount = Atomic<UInt64>(0)
    private struct Waiters {
        var byID: [ObjectIdentifier: TickWaiter] = [:]
        var paused: Set<ObjectIdentifier> = []
        var list: [TickWaiter] = []  // the active ones, read by the timer thread
        var parked = false

        mutating func rebuild() { list = byID.filter { !paused.contains($0.key) }.map(\.value) }
        /// True when the parked thread must be woken (after a change).
        mutating func unpark() -> Bool {
            guard parked && !list.isEmpty else { return false }
            parked = false
            return true
        }
    }
    private let waiters = Mutex(Waiters())
    private let wake = DispatchSemaphore(value: 0)
    private let failure = Mutex<SpanError?>(nil)
    private let exited = DispatchSemaphore(value: 0)

    public init(system: any DAHDISystemCalls = LiveSystemCalls(), path: String = "/dev/dahdi/timer") {
        sys = system
        self.path = path
    }

    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    public var isRunning: Bool { running.load(ordering: .acquiring) }
    /// Why the timer thread stopped on its own (poll or ack failed), if it did.
    public var lastError: SpanError? { failure.withLock { $0 } }

    /// Opens the timer, sets its period and starts the timer thread.
    public func start() throws(SpanError) {
        guard !running.load(ordering: .acquiring) else {
            throw SpanError(.alreadyStarted, span: "timer", operation: "start")
        }
        let fd: Int32
        do {
            fd = try sys.syscall("open") { sys.open(path, O_RDWR | O_NONBLOCK) }
        } catch {
            throw SpanError(.openFailed, span: "timer", operation: "open \(path)", errno: error.errno)
        }
        var samples = DAHDITimer.samplesPerTick
        do {
            _ = try sys.syscall("ioctl") { sys.ioctl(fd, DAHDIIoctl.timerConfig.request, &samples) }
        } catch {
            _ = sys.close(fd)
            throw SpanError(.ioctlFailed, span: "timer", operation: "\(DAHDIIoctl.timerConfig) \(samples)", errno: error.errno)
        }
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in run(fd) }
        thread.name = "dialtone.dahdi-timer"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the timer thread (within one poll timeout) and closes the timer.
    /// Every start() is matched by one stop(), also after the thread failed.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let parked = waiters.withLock { w -> Bool in
            defer { w.parked = false }
            return w.parked
        }
        if parked { wake.signal() }
        exited.wait()
    }

    /// True while the timer is switched off for want of an active waiter.
    public var isParked: Bool { waiters.withLock { $0.parked } }

    public func subscribe() -> TickWaiter {
        let waiter = TickWaiter()
        change {
            $0.byID[ObjectIdentifier(waiter)] = waiter
            $0.rebuild()
        }
        return waiter
    }

    public func unsubscribe(_ waiter: TickWaiter) {
        change {
            $0.byID[ObjectIdentifier(waiter)] = nil
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

    private func change(_ body: (inout Waiters) -> Void) {
        let unpark = waiters.withLock { w -> Bool in
            body(&w)
            return w.unpark()
        }
        if unpark { wake.signal() }
    }

    private func run(_ fd: Int32) {
        defer {
            _ = sys.close(fd)
            exited.signal()
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
        var one = DAHDIConst.timerAckOne
        while running.load(ordering: .acquiring) {
            pfd.revents = 0
            do {
                // A timeout so stop() is noticed even when no span gives timing.
                guard try sys.syscall("poll", { sys.poll(&pfd, 1, 100) }) > 0,
                      pfd.revents & Int16(POLLPRI) != 0 else { continue }
                _ = try sys.syscall("ioctl") { sys.ioctl(fd, DAHDIIoctl.timerAck.request, &one) }
            } catch {
                // Ticks stop (media threads see their waits time out); stop() still joins.
                failure.withLock { $0 = SpanError(.io, span: "timer", operation: "\(error.call) on \(path)", errno: error.errno) }
                return
            }
            tickCount.add(1, ordering: .relaxed)
            let (list, park) = waiters.withLock { w -> ([TickWaiter], Bool) in
                // Checked under the lock stop() takes: a stop is never missed.
                if w.list.isEmpty && running.load(ordering: .acquiring) { w.parked = true }
                return (w.list, w.parked)
            }
            for waiter in list { waiter.signal() }
            if park {
                do {
                    try sleepWhileIdle(fd)
                } catch {
                    failure.withLock { $0 = SpanError(.io, span: "timer", operation: "\(error.call) on \(path)", errno: error.errno) }
                    return
                }
            }
        }
    }

    /// No waiter to wake: the timer off, pending expiries dropped, asleep
    /// until a waiter resumes (or stop()); then the timer on again.
    private func sleepWhileIdle(_ fd: Int32) throws(SystemCallError) {
        var off: Int32 = 0, all: Int32 = -1  // TIMERACK below 1 acknowledges every pending expiry
        _ = try sys.syscall("ioctl") { sys.ioctl(fd, DAHDIIoctl.timerConfig.request, &off) }
        _ = try sys.syscall("ioctl") { sys.ioctl(fd, DAHDIIoctl.timerAck.request, &all) }
        wake.wait()
        guard running.load(ordering: .acquiring) else { return }
        var samples = DAHDITimer.samplesPerTick
        _ = try sys.syscall("ioctl") { sys.ioctl(fd, DAHDIIoctl.timerConfig.request, &samples) }
    }
}

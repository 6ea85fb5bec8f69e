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
public final class DAHDITimer: FrameClock, @unchecked Sendable {
    /// Samples per tick at 8 kHz: 20 ms.
    public static let samplesPerTick = Int32(frameBytes)

    private let sys: any DAHDISystemCalls
    public let path: String
    private let running = Atomic<Bool>(false)
    private let tickCount = Atomic<UInt64>(0)
    private let waiters = Mutex<(byID: [ObjectIdentifier: TickWaiter], list: [TickWaiter])>(([:], []))
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
        exited.wait()
    }

    public func subscribe() -> TickWaiter {
        let waiter = TickWaiter()
        waiters.withLock {
            $0.byID[ObjectIdentifier(waiter)] = waiter
            $0.list = Array($0.byID.values)
        }
        return waiter
    }

    public func unsubscribe(_ waiter: TickWaiter) {
        waiters.withLock {
            $0.byID[ObjectIdentifier(waiter)] = nil
            $0.list = Array($0.byID.values)
        }
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
            let list = waiters.withLock { $0.list }
            for waiter in list { waiter.signal() }
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later

/// A timer of the switch: a call's (its token inside), or the fallback that
/// lets a call go on when the sink has not acknowledged its start in time.
enum SwitchTimer: Sendable {
    case call(String, Call.Timer)
    case startFallback(String)
}

/// The switch core's timers on its injected clock: a ``TimerQueue`` and one
/// task sleeping until the earliest deadline (at most ``longestSleep``
/// ahead, so that a timer armed for sooner than the sleeper's wake-up is
/// rare: only then is the sleeper replaced). Used only from the switch
/// actor; the sleeper's wake-up comes back as one input (`timersDue`) and
/// ``due()`` hands out what expired. A stale timer is harmless: the calls'
/// tokens decide whether a timer acts.
protocol SwitchTimers: AnyObject {
    func schedule(_ timer: SwitchTimer, seconds: Double) -> TimerHandle
    func cancel(_ handle: TimerHandle)
    /// The timers expired by now; re-arms the sleeper for the rest.
    func due() -> [SwitchTimer]
    /// Cancels the sleeper (no more `timersDue`).
    func stop()
}

/// Opens the clock's type: the queue keeps its instants.
func makeSwitchTimers<C: Clock<Duration>>(clock: C, wake: @escaping @Sendable () -> Void) -> any SwitchTimers {
    ClockTimers(clock: clock, wake: wake)
}

final class ClockTimers<C: Clock<Duration>>: SwitchTimers {
    /// The longest the sleeper sleeps while timers are armed.
    static var longestSleep: Duration { .seconds(1) }

    private let clock: C
    private let wake: @Sendable () -> Void
    private var queue = TimerQueue<C.Instant, SwitchTimer>()
    private var sleeper: Task<Void, Never>?
    private var sleeperUntil: C.Instant?

    init(clock: C, wake: @escaping @Sendable () -> Void) {
        self.clock = clock
        self.wake = wake
    }

    func schedule(_ timer: SwitchTimer, seconds: Double) -> TimerHandle {
        let handle = queue.schedule(timer, after: .seconds(clamping: seconds), now: clock.now)
        arm()
        return handle
    }

    /// (The sleeper stays: it wakes, finds nothing due and sleeps on.)
    func cancel(_ handle: TimerHandle) { queue.cancel(handle) }

    func due() -> [SwitchTimer] {
        sleeper?.cancel()
        sleeper = nil
        sleeperUntil = nil
        let out = queue.expired(now: clock.now)
        arm()
        return out
    }

    func stop() {
        sleeper?.cancel()
        sleeper = nil
        sleeperUntil = nil
    }

    private func arm() {
        guard let next = queue.nextDeadline else { return }
        let target = min(next, clock.now.advanced(by: Self.longestSleep))
        if let until = sleeperUntil, until <= target { return }  // it wakes in time
        sleeper?.cancel()
        sleeperUntil = target
        let clock = self.clock, wake = self.wake
        sleeper = Task {
            do { try await clock.sleep(until: target, tolerance: nil) } catch { return }
            wake()
        }
    }
}

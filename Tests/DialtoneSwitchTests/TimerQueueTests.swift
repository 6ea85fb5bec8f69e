// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneSwitch
import Testing

/// The switch's timer queue in virtual time: deadlines are instants of a
/// clock the test moves; nothing sleeps.
@Suite struct TimerQueueTests {
    /// A test instant: seconds as a Duration from an origin.
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by d: Duration) -> Instant { Instant(offset: offset + d) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }
    static func at(_ s: Double) -> Instant { Instant(offset: .seconds(s)) }

    @Test func expiresInDeadlineOrderAcrossDurations() {
        var q = TimerQueue<Instant, String>()
        _ = q.schedule("answer-a", after: .seconds(60), now: Self.at(0))
        _ = q.schedule("start-a", after: .seconds(2), now: Self.at(0))
        _ = q.schedule("start-b", after: .seconds(2), now: Self.at(1))
        _ = q.schedule("digits", after: .seconds(5), now: Self.at(1))
        #expect(q.nextDeadline == Self.at(2))
        #expect(q.expired(now: Self.at(1.5)).isEmpty)
        #expect(q.expired(now: Self.at(2)) == ["start-a"])
        #expect(q.nextDeadline == Self.at(3))
        #expect(q.expired(now: Self.at(10)) == ["start-b", "digits"])
        #expect(q.count == 1)
        #expect(q.expired(now: Self.at(60)) == ["answer-a"])
        #expect(q.isEmpty && q.nextDeadline == nil)
    }

    @Test func aCancelledTimerNeverExpires() {
        var q = TimerQueue<Instant, String>()
        let a = q.schedule("a", after: .seconds(2), now: Self.at(0))
        _ = q.schedule("b", after: .seconds(2), now: Self.at(0.5))
        let c = q.schedule("c", after: .seconds(2), now: Self.at(1))
        q.cancel(a)
        q.cancel(c)
        #expect(q.count == 1)
        #expect(q.nextDeadline == Self.at(2.5))
        #expect(q.expired(now: Self.at(5)) == ["b"])
    }

    /// A handle names one arming: once its node is reused by a later timer,
    /// cancelling the old handle (a stale one) must not cancel the new timer.
    @Test func aStaleHandleCancelsNothing() {
        var q = TimerQueue<Instant, String>()
        let old = q.schedule("old", after: .seconds(1), now: Self.at(0))
        #expect(q.expired(now: Self.at(1)) == ["old"])
        let new = q.schedule("new", after: .seconds(1), now: Self.at(1))  // reuses the node
        #expect(new != old)
        q.cancel(old)
        q.cancel(old)
        #expect(q.count == 1)
        #expect(q.expired(now: Self.at(2)) == ["new"])
        q.cancel(new)  // already expired: nothing
        #expect(q.isEmpty)
    }

    @Test func holdsOnlyTheTimersArmed() {
        var q = TimerQueue<Instant, Int>()
        for i in 0..<10_000 {
            let h = q.schedule(i, after: .seconds(60), now: Self.at(Double(i) / 1000))
            q.cancel(h)
        }
        #expect(q.isEmpty)
        #expect(q.storage <= 1)
    }
}

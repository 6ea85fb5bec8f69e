// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI
import DialtoneSpans
import Glibc
import Testing

@Suite struct DAHDITimerTests {
    typealias Call = RecordingKernel.Call

    @Test func configuresTwentyMillisecondsAndAcknowledgesEachExpiry() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let timer = DAHDITimer(system: kernel)
        try timer.start()
        let waiter = timer.subscribe()
        defer { timer.unsubscribe(waiter) }
        kernel.fireTimer(3)
        var woken: UInt64 = 0
        for _ in 0..<50 where woken < 3 { woken += waiter.wait(timeoutMs: 100) }
        #expect(woken == 3)
        #expect(timer.ticks == 3)
        timer.stop()
        #expect(timer.lastError == nil)
        let calls = kernel.calls
        #expect(calls == [Call(op: "open /dev/dahdi/timer", channel: 0, value: [1]),
                          Call(op: "DAHDI_TIMERCONFIG", channel: 0, value: [160]),
                          Call(op: "DAHDI_TIMERACK", channel: 0, value: [1]),
                          Call(op: "DAHDI_TIMERACK", channel: 0, value: [1]),
                          Call(op: "DAHDI_TIMERACK", channel: 0, value: [1]),
                          Call(op: "close", channel: 0, value: [])])
    }

    /// An expiry with no active waiter switches the timer off (pending
    /// expiries acknowledged) until a waiter resumes; stop() ends a parked timer.
    @Test func timerIsSwitchedOffWhileNoWaiterIsActive() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let timer = DAHDITimer(system: kernel)
        try timer.start()
        let waiter = timer.subscribe()
        defer { timer.unsubscribe(waiter) }
        timer.pause(waiter)
        kernel.fireTimer()
        for _ in 0..<200 where !timer.isParked { usleep(5000) }
        #expect(timer.isParked)
        timer.resume(waiter)
        kernel.fireTimer()
        #expect(waiter.wait(timeoutMs: 2000) == 1)
        timer.pause(waiter)
        kernel.fireTimer()
        for _ in 0..<200 where !timer.isParked { usleep(5000) }
        timer.stop()
        #expect(timer.lastError == nil)
        #expect(kernel.calls.map { "\($0.op) \($0.value)" } == [
            "open /dev/dahdi/timer [1]", "DAHDI_TIMERCONFIG [160]",
            "DAHDI_TIMERACK [1]", "DAHDI_TIMERCONFIG [0]", "DAHDI_TIMERACK [-1]",  // idle: off
            "DAHDI_TIMERCONFIG [160]", "DAHDI_TIMERACK [1]",                       // resumed
            "DAHDI_TIMERACK [1]", "DAHDI_TIMERCONFIG [0]", "DAHDI_TIMERACK [-1]",  // idle again
            "close []"])
    }

    @Test func interruptedPollIsRetriedAndAFailedPollStopsTheTicks() throws {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.interrupt("poll", times: 2)
        let timer = DAHDITimer(system: kernel)
        try timer.start()
        let waiter = timer.subscribe()
        kernel.fireTimer()
        #expect(waiter.wait(timeoutMs: 2000) == 1)
        kernel.state.withLock { $0.timerPollErrno = EIO }
        for _ in 0..<50 where timer.lastError == nil { _ = waiter.wait(timeoutMs: 20) }
        #expect(timer.lastError?.errno == EIO)
        timer.stop()
        #expect(kernel.calls.filter { $0.op == "poll EINTR" }.count == 2)
        #expect(kernel.calls.last?.op == "close")
    }
}

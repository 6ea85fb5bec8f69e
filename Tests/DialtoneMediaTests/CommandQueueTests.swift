// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Synchronization
import Testing

/// A full command queue is never silently ignored: `send` waits for the
/// media thread, and gives up (false, logged) only when no media thread runs.
@Suite(.serialized) struct CommandQueueTests {
    func waitUntil(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        for _ in 0..<Int(seconds * 100) where !condition() { usleep(10_000) }
        return condition()
    }

    /// Three queues' worth of commands as fast as the caller can send them:
    /// every send succeeds, every command is applied, in order.
    @Test func aFullQueueLosesNoCommand() throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let logs = LogRecords()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: logs.logger)
        engine.start()
        defer { engine.stop() }
        let count = 3 * MediaEngine.commandQueueCapacity + 100
        var refused = 0
        for k in 0..<count {
            // Detection on and off on channels 1–30; the last command for each
            // channel decides whether it ends up in use.
            let on = (k / 30) % 2 == 0
            if !engine.send(.detectDigits(.init(span: 0, channel: k % 30 + 1), on)) { refused += 1 }
        }
        #expect(refused == 0)
        #expect(engine.commandQueueFullCount > 0, "the queue never filled: the test proves nothing")
        #expect(waitUntil { engine.commandsApplied == UInt64(count) }, "\(engine.commandsApplied) of \(count) applied")
        #expect(engine.commandsRefused == 0)
        // Each channel's last command decides whether it stays in use.
        let channelsOn = ((count - 30)..<count).filter { ($0 / 30) % 2 == 0 }.count
        #expect(waitUntil { engine.channelsInUse == channelsOn }, "\(engine.channelsInUse) in use, \(channelsOn) expected")
        #expect(logs.count(containing: "media command queue full") == 1, "one warning for the episode")
        #expect(logs.all.filter { $0.level == .error }.isEmpty)
    }

    /// With no media thread, a send into a full queue waits a bounded time,
    /// then returns false and logs an error; a tick run meanwhile (another
    /// thread draining) lets it through.
    @Test func aStoppedEngineDoesNotHangTheCaller() throws {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let logs = LogRecords()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: logs.logger)
        let ep = MediaEngine.Endpoint(span: 0, channel: 1)
        for _ in 0..<(MediaEngine.commandQueueCapacity - 1) { #expect(engine.send(.stopTone(ep))) }
        let start = ContinuousClock.now
        #expect(engine.send(.stopTone(ep)) == false)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(150) && waited < .seconds(2), "waited \(waited)")
        #expect(engine.commandQueueFullCount == 1)
        #expect(logs.all.contains { $0.level == .error && $0.message.contains("not running") })

        // Someone ticks the engine while the caller waits: the send goes through.
        let ticked = DispatchSemaphore(value: 0)
        let ticker = Thread { usleep(50_000); engine.tick(); ticked.signal() }
        ticker.start()
        #expect(engine.send(.stopTone(ep)))
        ticked.wait()  // the send may return as soon as the tick made room, before the tick ends
        #expect(engine.commandsApplied == UInt64(MediaEngine.commandQueueCapacity - 1))
        engine.tick()
        #expect(engine.commandsApplied == UInt64(MediaEngine.commandQueueCapacity))
    }
}

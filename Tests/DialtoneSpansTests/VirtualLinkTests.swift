// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Synchronization
import Testing

final class EventLog: Sendable {
    let events = Mutex<[SpanEvent]>([])
}

@Suite struct VirtualLinkTests {
    @Test func dchannelFramesKeepBoundaries() throws {
        let link = try VirtualLink(a: "a", b: "b", type: .e1, clock: VirtualClock())
        defer { link.close() }
        try link.a.start(); try link.b.start()
        for frame: [UInt8] in [[UInt8](repeating: 1, count: 5), [2, 3], [UInt8](repeating: 4, count: 260)] {
            #expect(frame.withUnsafeBytes { link.a.dchannel.writeFrame($0) } == frame.count)
            var buf = [UInt8](repeating: 0, count: 1024)
            let n = buf.withUnsafeMutableBytes { link.b.dchannel.readFrame(into: $0) }
            #expect(Array(buf[0..<n]) == frame)
        }
        var buf = [UInt8](repeating: 0, count: 16)
        #expect(buf.withUnsafeMutableBytes { link.b.dchannel.readFrame(into: $0) } == 0)
    }

    /// A byte pattern crosses the link bit-exact and in order, timed by the clock.
    @Test(arguments: [SpanType.e1, .t1]) func bearerPatternIsBitExact(type: SpanType) throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "a", b: "b", type: type, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let ch = type.bearerChannels[3]
        link.b.setInUse(channel: ch, true)
        var seed: UInt32 = 12345
        let pattern: [UInt8] = (0..<(20 * frameBytes)).map { _ in
            seed = seed &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: seed >> 16)
        }
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        var received: [UInt8] = []
        var sent = 0
        var buf = [UInt8](repeating: 0, count: frameBytes)
        // Prime 3 frames ahead, then one per tick.
        for _ in 0..<3 where sent < pattern.count {
            _ = pattern.withUnsafeBytes { link.a.writeFrame(channel: ch, from: UnsafeRawBufferPointer(rebasing: $0[sent..<(sent + frameBytes)])) }
            sent += frameBytes
        }
        var ticks = 0
        while received.count < pattern.count + 10 * frameBytes && ticks < 200 {
            if waiter.wait(timeoutMs: 200) == 0 { continue }
            ticks += 1
            if sent < pattern.count {
                _ = pattern.withUnsafeBytes { link.a.writeFrame(channel: ch, from: UnsafeRawBufferPointer(rebasing: $0[sent..<(sent + frameBytes)])) }
                sent += frameBytes
            }
            while true {
                let n = buf.withUnsafeMutableBytes { link.b.readFrame(channel: ch, into: $0) }
                if n == 0 { break }
                received += buf[0..<n]
            }
        }
        let start = try #require(received.firstIndex(where: { $0 != type.defaultLaw.idleByte }))
        #expect(received[..<start].allSatisfy { $0 == type.defaultLaw.idleByte })
        #expect(Array(received[start..<(start + pattern.count)]) == pattern)
        // After the pattern the line idles again.
        #expect(received[(start + pattern.count)...].allSatisfy { $0 == type.defaultLaw.idleByte })
        #expect(link.b.readFrame(channel: type.dchannelTimeslot, into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) == 0)
    }

    @Test func cutRaisesRedAlarmOnBothEndsAndRestoreClears() throws {
        let link = try VirtualLink(a: "a", b: "b", type: .t1, clock: VirtualClock())
        defer { link.close() }
        let logA = EventLog(), logB = EventLog()
        link.a.setEventHandler { e in logA.events.withLock { $0.append(e) } }
        link.b.setEventHandler { e in logB.events.withLock { $0.append(e) } }
        try link.a.start(); try link.b.start()
        link.cut()
        #expect(link.a.alarms == .red && link.b.alarms == .red)
        #expect([UInt8]([1, 2, 3]).withUnsafeBytes { link.a.dchannel.writeFrame($0) } == 3)  // lost on the line
        var buf = [UInt8](repeating: 0, count: 16)
        #expect(buf.withUnsafeMutableBytes { link.b.dchannel.readFrame(into: $0) } == 0)
        link.restore()
        #expect(link.a.alarms == .none && link.b.alarms == .none)
        #expect(logA.events.withLock { $0 } == [.started, .alarmsChanged(.red), .alarmsChanged(.none)])
        #expect(logB.events.withLock { $0 } == [.started, .alarmsChanged(.red), .alarmsChanged(.none)])
        #expect([UInt8]([9]).withUnsafeBytes { link.a.dchannel.writeFrame($0) } == 1)
        #expect(buf.withUnsafeMutableBytes { link.b.dchannel.readFrame(into: $0) } == 1 && buf[0] == 9)
    }

    /// Reads every frame waiting on `channel` of `span`.
    func drain(_ span: VirtualSpan, channel: Int) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var buf = [UInt8](repeating: 0, count: frameBytes)
        while buf.withUnsafeMutableBytes({ span.readFrame(channel: channel, into: $0) }) == frameBytes { frames.append(buf) }
        return frames
    }

    /// Waits for `n` clock ticks (bounded: a stalled clock fails the test, it does not hang it).
    func ticks(_ n: UInt64, on waiter: TickWaiter) {
        var seen: UInt64 = 0
        for _ in 0..<(n * 10) where seen < n { seen += waiter.wait(timeoutMs: 200) }
        #expect(seen >= n, "clock stalled")
    }

    @Test(arguments: [G711Law.alaw, .mulaw]) func idleCodeWhenNothingIsSent(law: G711Law) throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "a", b: "b", type: .e1, law: law, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        for ch in [1, 15, 17, 31] { link.b.setInUse(channel: ch, true) }
        ticks(4, on: waiter)
        for ch in [1, 15, 17, 31] {
            let frames = drain(link.b, channel: ch)
            #expect(frames.count >= 4)
            #expect(frames.allSatisfy { $0 == [UInt8](repeating: law.idleByte, count: frameBytes) })
        }
        #expect(law.idleByte == (law == .alaw ? 0xD5 : 0xFF))
    }

    @Test func cutStopsBearerTrafficAndRestoreResumesIt() throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "a", b: "b", type: .t1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        let voice = [UInt8](repeating: 0x42, count: frameBytes)
        let idle = [UInt8](repeating: G711Law.mulaw.idleByte, count: frameBytes)
        link.a.setInUse(channel: 5, true)  // either end using a channel makes the link carry it
        link.cut()
        _ = drain(link.b, channel: 5)
        for _ in 0..<6 {
            #expect(voice.withUnsafeBytes { link.a.writeFrame(channel: 5, from: $0) } == frameBytes)
            ticks(1, on: waiter)
        }
        ticks(1, on: waiter)
        let during = drain(link.b, channel: 5)
        #expect(during.count >= 6)
        #expect(during.allSatisfy { $0 == idle }, "audio crossed a cut link")
        link.restore()
        var after: [[UInt8]] = []
        for _ in 0..<6 {
            _ = voice.withUnsafeBytes { link.a.writeFrame(channel: 5, from: $0) }
            ticks(1, on: waiter)
            after += drain(link.b, channel: 5)
        }
        ticks(1, on: waiter)
        after += drain(link.b, channel: 5)
        #expect(after.filter { $0 == voice }.count == 6)
        #expect(after.allSatisfy { $0 == voice || $0 == idle })
    }

    /// A channel neither end uses carries nothing (no idle code either); taking
    /// it into use drops what arrived while only the other end used it.
    @Test func channelsNotInUseCarryNothing() throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "a", b: "b", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        let voice = [UInt8](repeating: 0x42, count: frameBytes)
        _ = voice.withUnsafeBytes { link.a.writeFrame(channel: 3, from: $0) }
        ticks(3, on: waiter)
        #expect(drain(link.b, channel: 3).isEmpty && drain(link.a, channel: 3).isEmpty)
        link.a.setInUse(channel: 3, true)
        ticks(3, on: waiter)
        #expect(drain(link.a, channel: 3).count >= 3)  // idle code from b, which sends nothing
        link.b.setInUse(channel: 3, true)  // b listens from now on: the voice it missed is gone
        #expect(drain(link.b, channel: 3).isEmpty)
        ticks(2, on: waiter)
        #expect(drain(link.b, channel: 3).allSatisfy { $0 == [UInt8](repeating: G711Law.alaw.idleByte, count: frameBytes) })
        link.a.setInUse(channel: 3, false)
        link.b.setInUse(channel: 3, false)
        _ = drain(link.a, channel: 3)
        ticks(3, on: waiter)
        #expect(drain(link.a, channel: 3).isEmpty)
    }

    /// With no active waiter the clock stops; a resumed waiter sees the next
    /// tick a period later, not a burst catching up the idle time.
    @Test func clockParksWithoutDemandAndDoesNotCatchUp() throws {
        let clock = VirtualClock()
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        ticks(2, on: waiter)
        clock.pause(waiter)
        for _ in 0..<50 where !clock.isParked { usleep(10_000) }
        #expect(clock.isParked)
        let before = clock.ticks
        usleep(200_000)
        #expect(clock.ticks <= before + 1)  // at most the tick already under way
        clock.resume(waiter)
        #expect(!clock.isParked)
        #expect(waiter.wait(timeoutMs: 500) == 1)
        clock.hold()  // a hold alone keeps it ticking
        clock.pause(waiter)
        let held = clock.ticks
        usleep(100_000)
        #expect(clock.ticks >= held + 2)
        clock.release()
        for _ in 0..<50 where !clock.isParked { usleep(10_000) }
        #expect(clock.isParked)
        clock.resume(waiter)
    }

    @Test func virtualSpansHaveNoMaintenanceLoops() throws {
        let link = try VirtualLink(a: "a", b: "b", type: .e1, clock: VirtualClock())
        defer { link.close() }
        #expect(throws: SpanError.self) { try link.a.setMaintenance(.localLoop) }
        try link.a.setMaintenance(.none)
    }
}

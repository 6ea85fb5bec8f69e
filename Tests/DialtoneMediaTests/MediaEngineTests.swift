// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import CSpanDSP
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

/// A far end that sends SpanDSP-generated DTMF on a channel, a frame per tick.
final class DTMFSender: @unchecked Sendable {
    let generator: DTMFGenerator
    init(digits: String, level: Int32, twist: Int32) {
        generator = DTMFGenerator(level: Int(level), twist: Int(twist), onMs: 50, offMs: 55)
        generator.queue(digits)
    }

    func frame(law: G711Law) -> [UInt8] {
        var out = [UInt8](repeating: law.idleByte, count: frameBytes)  // silence once the digits are out
        _ = out.withUnsafeMutableBytes { generator.generate(g711: $0, law: law) }
        return out
    }
}

@Suite(.serialized) struct MediaEngineTests {
    /// Each span's channels get their span's DTMF profile (the config's `dtmf:`); spans not given one get AT&T's.
    @Test func aDTMFProfilePerSpan() throws {
        let clock = VirtualClock()
        let e1 = try VirtualLink(a: "e1", b: "e1-far", type: .e1, clock: clock)
        let t1 = try VirtualLink(a: "t1", b: "t1-far", type: .t1, clock: clock)
        defer { e1.close(); t1.close() }
        let etsi35 = DTMFProfile(standard: .etsi, minimumLevel: -35, dialToneFilter: false)
        let engine = MediaEngine(spans: [e1.a, t1.a], clock: clock, logger: Logger(label: "test"), dtmfProfiles: [etsi35])
        #expect(engine.dtmfProfiles == [etsi35, .att])
        #expect(MediaEngine(spans: [e1.a], clock: clock, logger: Logger(label: "test")).dtmfProfiles == [.att])
    }

    /// In-band DTMF through SpanDSP's receiver at several levels and twists,
    /// delivered as engine events in order.
    @Test(arguments: [(Int32(-10), Int32(0)), (-25, 4), (-25, 0), (-20, -8), (-10, 4)])
    func detectsDTMF(level: Int32, twist: Int32) throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
        let channel = 5
        engine.send(.detectDigits(.init(span: 0, channel: channel), true))
        let digits = "159#*0D"
        let sender = DTMFSender(digits: digits, level: level, twist: twist)
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        var got = ""
        for _ in 0..<120 {  // 2.4 s: 7 digits × 105 ms plus margin
            guard waiter.wait(timeoutMs: 200) > 0 else { continue }
            _ = sender.frame(law: .alaw).withUnsafeBytes { link.b.writeFrame(channel: channel, from: $0) }
            engine.tick()
            while let e = engine.nextEvent() {
                if case .digit(let at, let d) = e, at == .init(span: 0, channel: channel) { got.append(d.character) }
            }
        }
        #expect(got == digits)
    }

    /// The counter sees allocations (so the test below can fail).
    @Test func counterCountsAllocations() {
        CAllocationCounter_start()
        let array = [Int](repeating: 7, count: 1000)
        let n = CAllocationCounter_stop()
        #expect(array.count == 1000 && n > 0)
    }

    /// The tick allocates nothing, with bridges, tones and DTMF detection running.
    @Test func tickDoesNotAllocate() throws {
        let clock = VirtualClock()
        let a = try VirtualLink(a: "a", b: "a-far", type: .e1, clock: clock)
        let b = try VirtualLink(a: "b", b: "b-far", type: .t1, clock: clock)
        defer { a.close(); b.close() }
        for s in [a.a, a.b, b.a, b.b] { try s.start() }
        let engine = MediaEngine(spans: [a.a, b.a], clock: clock, logger: Logger(label: "test"))
        for ch in 1...10 {
            engine.send(.bridge(id: ch, .init(span: 0, channel: ch), .init(span: 1, channel: ch)))
            engine.send(.detectDigits(.init(span: 0, channel: ch), true))
        }
        for ch in 17...25 { engine.send(.playTone(.init(span: 0, channel: ch), .ringback)) }
        for ch in 11...15 { engine.send(.detectDigits(.init(span: 0, channel: ch), true)) }
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        // Warm up: apply the commands, let frames flow.
        for _ in 0..<5 { _ = waiter.wait(timeoutMs: 200); engine.tick() }
        #expect(engine.bridgeCount == 10)
        let sender = DTMFSender(digits: "123", level: -10, twist: 0)
        var frames: [[UInt8]] = (0..<50).map { _ in sender.frame(law: .alaw) }
        var allocations = 0
        var moved: UInt64 = 0
        for i in 0..<50 {
            _ = waiter.wait(timeoutMs: 200)
            _ = frames[i].withUnsafeBytes { a.b.writeFrame(channel: 1, from: $0) }
            let before = engine.frames
            CAllocationCounter_start()
            engine.tick()
            allocations += CAllocationCounter_stop()
            moved += engine.frames - before
        }
        frames.removeAll()
        #expect(moved > 0)  // the ticks did real work
        #expect(allocations == 0)
        var digits = 0
        while let e = engine.nextEvent() { if case .digit = e { digits += 1 } }
        #expect(digits == 3)  // detection ran inside the counted ticks
    }
}

extension MediaEngineTests {
    /// Goertzel power of `samples` at `frequency` (8 kHz).
    static func power(_ samples: [Double], _ frequency: Double) -> Double {
        let k = 2 * cos(2 * Double.pi * frequency / 8000)
        var s1 = 0.0, s2 = 0.0
        for x in samples {
            let s0 = x + k * s1 - s2
            s2 = s1
            s1 = s0
        }
        return s1 * s1 + s2 * s2 - k * s1 * s2
    }

    /// Ringback on an A-law span is 425 Hz, 1 s on / 4 s off (ETSI); on a
    /// µ-law span 440+480 Hz (North America). A bridge replaces the tone.
    @Test(arguments: [(SpanType.e1, [425.0]), (SpanType.t1, [440.0, 480.0])])
    func ringbackTone(type: SpanType, frequencies: [Double]) throws {
        let clock = VirtualClock()
        let link = try VirtualLink(a: "near", b: "far", type: type, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
        engine.send(.playTone(.init(span: 0, channel: 1), .ringback))
        let waiter = clock.subscribe()
        defer { clock.unsubscribe(waiter) }
        var heard: [Double] = []
        var buf = [UInt8](repeating: 0, count: frameBytes)
        for _ in 0..<40 {  // 0.8 s, inside the first "on" period
            guard waiter.wait(timeoutMs: 200) > 0 else { continue }
            engine.tick()
            while buf.withUnsafeMutableBytes({ link.b.readFrame(channel: 1, into: $0) }) > 0 {
                heard += buf.map { Double(type.defaultLaw == .alaw ? CSpanDSP_alaw_to_linear($0) : CSpanDSP_ulaw_to_linear($0)) }
            }
        }
        let tail = Array(heard.suffix(2400))  // the last 300 ms
        #expect(tail.count == 2400)
        let off = Self.power(tail, 1000)
        for f in frequencies { #expect(Self.power(tail, f) > 1000 * off, "no energy at \(f) Hz") }
        engine.send(.bridge(id: 0, .init(span: 0, channel: 1), .init(span: 0, channel: 2)))
        engine.tick()
        #expect(engine.bridgeCount == 1)
    }
}

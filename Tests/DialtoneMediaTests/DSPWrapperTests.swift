// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

/// The SpanDSP wrappers the engine, the line simulator and the benchmark share.
@Suite struct DSPWrapperTests {
    /// Every key through the generator and the receiver, in both laws, with
    /// the digits taken a frame at a time as the engine does.
    @Test(arguments: [G711Law.alaw, .mulaw])
    func dtmfRoundTrip(law: G711Law) {
        let keys = "0123456789*#ABCD"
        let audio = DTMFGenerator.g711(keys, law: law, level: -20, twist: 2, onMs: 50, offMs: 50)
        #expect(audio.count == keys.count * 100 * 8)
        let receiver = DTMFReceiver()
        var got = ""
        var digits = [UInt8](repeating: 0, count: 8)
        audio.withUnsafeBytes { bytes in
            for start in stride(from: 0, to: bytes.count, by: frameBytes) {
                receiver.receive(g711: UnsafeRawBufferPointer(rebasing: bytes[start..<min(bytes.count, start + frameBytes)]), law: law)
                let n = digits.withUnsafeMutableBufferPointer { receiver.takeDigits(into: $0.baseAddress!, capacity: $0.count) }
                got += String(decoding: digits[0..<n], as: UTF8.self)
            }
        }
        let tail = [UInt8](repeating: law.idleByte, count: 800)
        tail.withUnsafeBytes { receiver.receive(g711: $0, law: law) }
        #expect(got + receiver.takeDigits() == keys)
    }

    /// A reset receiver forgets the digits it held.
    @Test func resetForgetsDigits() {
        let receiver = DTMFReceiver()
        DTMFGenerator.g711("42", law: .alaw).withUnsafeBytes { receiver.receive(g711: $0, law: .alaw) }
        receiver.reset()
        #expect(receiver.takeDigits() == "")
    }

    /// A continuous tone does not stop (SpanDSP's generator ends at a zero
    /// length section: the descriptor repeats one long section instead),
    /// and it is phase continuous across the repeat (12 s > the 10 s section).
    @Test func continuousToneNeverStops() {
        let generator = ToneGenerator(ToneDescriptor(hz: 425, level: -10))
        let probe = ToneProbe(frequencies: [425], blockSize: 160, minimumLevel: -12)
        var frame = [Int16](repeating: 0, count: frameBytes)
        for _ in 0..<(12 * 50) {
            frame.withUnsafeMutableBufferPointer { f in
                _ = generator.generate(into: f.baseAddress!, count: f.count)
                probe.feed(f.baseAddress!, count: f.count)
            }
            if !probe.isPresent(at: 0) { break }
        }
        #expect(probe.blocks == 600 && probe.presentCount(at: 0) == 600)
        #expect(generator.isPlaying)
    }

    /// Dial tone (continuous) reaches the far end; before the wrappers
    /// SpanDSP's zero-length first section made it silence.
    @Test func dialToneIsHeard() throws {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
        engine.send(.playTone(.init(span: 0, channel: 4), .dial))
        var heard: [UInt8] = []
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
        defer { frame.deallocate() }
        for _ in 0..<60 {
            engine.tick()
            link.clockTick()
            while link.b.readFrame(channel: 4, into: frame) > 0 { heard += frame }
        }
        #expect(ToneProbe.heard(in: Array(heard.suffix(8000)), law: .alaw, among: [425, 1000], minimumLevel: -15) == [425])
    }

    /// Per frame, the wrappers allocate nothing.
    @Test func framesDoNotAllocate() {
        let receiver = DTMFReceiver()
        let dtmf = DTMFGenerator(level: -10)
        dtmf.queue("123")
        let tone = ToneGenerator()
        let busy = ToneDescriptor(ToneSet.europe.specs[.busy]!)
        let samples = UnsafeMutablePointer<Int16>.allocate(capacity: frameBytes)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
        let digits = UnsafeMutablePointer<UInt8>.allocate(capacity: 8)
        defer { samples.deallocate(); bytes.deallocate(); digits.deallocate() }
        var allocations = 0, taken = 0
        for f in 0..<50 {
            CAllocationCounter_start()
            _ = dtmf.generate(g711: bytes, law: .mulaw)
            receiver.receive(g711: UnsafeRawBufferPointer(bytes), law: .mulaw)
            taken += receiver.takeDigits(into: digits, capacity: 8)
            if f % 10 == 0 { tone.start(busy) }
            if f % 10 == 5 { tone.start(ToneSet.Spec(f1: 500, f2: 0, level: -13, cadence: (0, 0, 0, 0))) }
            _ = tone.generate(into: samples, count: frameBytes)
            tone.add(to: bytes, law: .mulaw)
            allocations += CAllocationCounter_stop()
        }
        #expect(allocations == 0)
        #expect(taken == 3)
    }
}

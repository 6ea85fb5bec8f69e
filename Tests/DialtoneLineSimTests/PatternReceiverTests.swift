// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
@testable import DialtoneLineSim
import DialtoneSpans
import Testing

/// The receiver of the simulator's pattern test: it must find the pattern
/// wherever it arrives (so a far end may listen from its SETUP on, through
/// any amount of ringback), and stay bit-exact strict once it has.
struct PatternReceiverTests {
    static let pattern = TestPattern.bytes(seed: TestPattern.seed("2123000230/bwd"), count: 25 * 160)
    /// 3 s of European ringback, far longer than the pattern.
    static let ringback = ToneBurst.bytes(hz: 425, level: -10, ms: 3000, law: .alaw)
    static let idle = [UInt8](repeating: G711Law.alaw.idleByte, count: 10 * 160)

    /// Feeds `stream` in chunks of `sizes` (cycled), as frames arrive.
    static func receive(_ stream: [UInt8], expected: [UInt8] = pattern, sizes: [Int] = [160]) -> PatternReceiver {
        var r = PatternReceiver(expected: expected)
        var i = 0, k = 0
        stream.withUnsafeBytes { all in
            while i < stream.count {
                let n = min(sizes[k % sizes.count], stream.count - i)
                r.receive(UnsafeRawBufferPointer(rebasing: all[i..<(i + n)]))
                i += n
                k += 1
            }
        }
        return r
    }

    @Test func findsThePatternAfterLongRingback() {
        let stream = Self.ringback + Self.idle + Self.pattern + Self.idle
        let r = Self.receive(stream)
        let c = r.check()
        #expect(c.bitExact, "\(c)")
        #expect(c.offset == Self.ringback.count + Self.idle.count && c.heard == stream.count)
        #expect(r.isComplete)
    }

    /// The key split across frames at every position, in odd-sized chunks too.
    @Test func findsTheKeyAcrossFrameBoundaries() {
        for lead in 0..<170 {
            let stream = [UInt8](repeating: 0x55, count: lead) + Self.pattern
            for sizes in lead < 20 ? [[160], [7, 13, 160, 1], [1]] : [[160], [7, 13, 160, 1]] {
                let c = Self.receive(stream, sizes: sizes).check()
                #expect(c.bitExact && c.offset == lead, "lead \(lead), chunks \(sizes): \(c)")
            }
        }
    }

    @Test func oneFlippedBitFails() {
        var bad = Self.pattern
        bad[2000] ^= 0x10
        let c = Self.receive(Self.idle + bad).check()
        #expect(!c.bitExact && c.byteErrors == 1 && c.bitErrors == 1 && c.firstError == 2000, "\(c)")
        #expect(c.description.hasSuffix("1 byte errors, 1 bit errors, the first at byte 2000"))
    }

    /// A frame lost mid-pattern (a slip): everything after it is wrong or missing.
    @Test func aLostFrameFails() {
        let slipped = Array(Self.pattern[0..<1600]) + Array(Self.pattern[1760...]) + Self.idle
        let c = Self.receive(Self.idle + slipped).check()
        #expect(!c.bitExact && c.byteErrors > 1000 && c.firstError == 1600, "\(c)")
    }

    @Test func aMissingTailFails() {
        let c = Self.receive(Self.idle + Array(Self.pattern[0..<3000])).check()
        #expect(!c.bitExact && c.received == 3000 && c.byteErrors == 1000 && c.firstError == 3000, "\(c)")
        #expect(c.description.contains("1000 bytes missing"))
    }

    /// The first 16 bytes are the key: a damaged start is not found at all.
    @Test func aDamagedStartIsNotFound() {
        var bad = Self.pattern
        bad[5] ^= 0x01
        let stream = Self.ringback + bad
        let c = Self.receive(stream).check()
        #expect(!c.bitExact && c.offset == -1 && c.heard == stream.count, "\(c)")
        #expect(c.description == "pattern not found (\(stream.count) bytes received)")
    }

    /// Another call's pattern is not this one.
    @Test func anotherPatternIsNotFound() {
        let other = TestPattern.bytes(seed: TestPattern.seed("2123000231/bwd"), count: 25 * 160)
        #expect(Self.receive(Self.idle + other).check().offset == -1)
    }

    /// The first occurrence counts, as in ``PatternCheck/check(pattern:in:)`` over a whole stream.
    @Test func sameAnswerAsTheWholeStreamCheck() {
        var stream = Self.ringback + Self.pattern + Self.idle + Self.pattern
        stream[Self.ringback.count + 100] ^= 0xFF
        let fed = Self.receive(stream).check()
        let whole = stream.withUnsafeBufferPointer { PatternCheck.check(pattern: Self.pattern, in: $0) }
        #expect(fed == whole && fed.offset == Self.ringback.count && fed.byteErrors == 1)
    }

    /// Hunting and capturing allocate nothing (the simulator's media thread),
    /// counted around each frame's `receive` after a first one.
    @Test func receiveDoesNotAllocate() {
        let stream = Self.ringback + Self.pattern + Self.idle
        var r = PatternReceiver(expected: Self.pattern)
        var allocations = 0
        stream.withUnsafeBytes { all in
            var i = 0
            while i < stream.count {
                let frame = UnsafeRawBufferPointer(rebasing: all[i..<min(i + 160, stream.count)])
                if i > 0 { CAllocationCounter_start() }
                r.receive(frame)
                if i > 0 { allocations += CAllocationCounter_stop() }
                i += 160
            }
        }
        #expect(allocations == 0 && r.isComplete)
    }
}

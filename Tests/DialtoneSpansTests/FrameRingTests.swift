// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Testing

@Suite struct FrameRingTests {
    /// A frame whose every byte differs from its neighbours', so a slot mix-up shows.
    func frame(_ n: Int) -> [UInt8] { (0..<frameBytes).map { UInt8(truncatingIfNeeded: n &* 31 &+ $0) } }

    func pop(_ ring: FrameRing) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: frameBytes)
        let n = out.withUnsafeMutableBytes { ring.pop(into: $0) }
        return n == 0 ? nil : Array(out[0..<n])
    }

    @Test func emptyRingPopsNothing() {
        let ring = FrameRing(capacity: 4)
        #expect(ring.count == 0)
        #expect(pop(ring) == nil)
    }

    @Test func holdsExactlyItsCapacityInOrder() {
        let ring = FrameRing(capacity: 4)
        for i in 0..<4 { #expect(frame(i).withUnsafeBytes { ring.push($0) }) }
        #expect(ring.count == 4)
        #expect(!frame(99).withUnsafeBytes { ring.push($0) })  // full
        #expect(!ring.push(repeating: 0xFF))
        #expect(ring.overrunCount == 2)
        for i in 0..<4 { #expect(pop(ring) == frame(i)) }
        #expect(pop(ring) == nil)
        #expect(ring.overrunCount == 2)
    }

    @Test func orderSurvivesWraparound() {
        let ring = FrameRing(capacity: 3)
        var next = 0, expected = 0
        // Uneven push/pop steps walk head and tail around the slots many times.
        for round in 0..<40 {
            let pushes = 1 + round % 3
            for _ in 0..<pushes where ring.count < ring.capacity {
                #expect(frame(next).withUnsafeBytes { ring.push($0) })
                next += 1
            }
            for _ in 0..<(1 + (round + 1) % 2) {
                guard let f = pop(ring) else { break }
                #expect(f == frame(expected))
                expected += 1
            }
        }
        while let f = pop(ring) {
            #expect(f == frame(expected))
            expected += 1
        }
        #expect(expected == next && next > 40)
        #expect(ring.overrunCount == 0)
    }

    @Test func pushRepeatingFillsAWholeFrame() {
        let ring = FrameRing(capacity: 2)
        #expect(ring.push(repeating: 0xD5))
        #expect(pop(ring) == [UInt8](repeating: 0xD5, count: frameBytes))
    }

    @Test func moveKeepsBytesAndDropsIntoAFullRing() {
        let a = FrameRing(capacity: 4), b = FrameRing(capacity: 1)
        _ = frame(1).withUnsafeBytes { a.push($0) }
        _ = frame(2).withUnsafeBytes { a.push($0) }
        #expect(a.move(to: b))
        #expect(a.count == 1 && b.count == 1)
        // b is full: the frame is taken from a and dropped, counted once on b.
        #expect(!a.move(to: b))
        #expect(a.count == 0 && b.overrunCount == 1)
        #expect(pop(b) == frame(1))
        #expect(!a.move(to: b))  // a empty
        #expect(b.count == 0 && b.overrunCount == 1)
    }

    @Test func drainDropsWhatWaits() {
        let ring = FrameRing(capacity: 8)
        for i in 0..<5 { _ = frame(i).withUnsafeBytes { ring.push($0) } }
        ring.drain()
        #expect(ring.count == 0 && pop(ring) == nil)
        _ = frame(7).withUnsafeBytes { ring.push($0) }
        #expect(pop(ring) == frame(7))
    }
}

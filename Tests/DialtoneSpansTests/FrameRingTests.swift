// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Testing

@Suite struct FrameRingTests {
    func frame(_ b: UInt8) -> [UInt8] { [UInt8](repeating: b, count: frameBytes) }

    @Test func orderWraparoundFullAndEmpty() {
        let ring = FrameRing(capacity: 4)  // holds 3
        var out = [UInt8](repeating: 0, count: frameBytes)
        #expect(out.withUnsafeMutableBytes { ring.pop(into: $0) } == 0)
        for round in 0..<5 {
            for i in 0..<3 { #expect(frame(UInt8(round * 3 + i)).withUnsafeBytes { ring.push($0) }) }
            #expect(!frame(99).withUnsafeBytes { ring.push($0) })
            #expect(ring.count == 3)
            for i in 0..<3 {
                #expect(out.withUnsafeMutableBytes { ring.pop(into: $0) } == frameBytes)
                #expect(out == frame(UInt8(round * 3 + i)))
            }
        }
        #expect(ring.overrunCount == 5)
    }

    @Test func moveAndDrain() {
        let a = FrameRing(capacity: 8), b = FrameRing(capacity: 8)
        a.push(repeating: 7)
        a.push(repeating: 8)
        #expect(a.move(to: b))
        #expect(a.count == 1 && b.count == 1)
        var out = [UInt8](repeating: 0, count: frameBytes)
        _ = out.withUnsafeMutableBytes { b.pop(into: $0) }
        #expect(out == frame(7))
        a.drain()
        #expect(a.count == 0 && !a.move(to: b))
    }
}

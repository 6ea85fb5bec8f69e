// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The receiving half of a pattern test, as a bit-error-rate tester's
/// receiver works: it hunts for the pattern's first 16 bytes wherever they
/// arrive in the stream (after ringback, idle or anything else), and from
/// there keeps exactly the pattern's length for a byte-for-byte comparison.
/// So it may start listening as early as it likes: what came before the
/// pattern is counted, not stored, and cannot crowd the pattern out.
///
/// Storage is allocated in `init`; ``receive(_:)`` (media thread) does not
/// allocate, and costs a `memchr` per frame while hunting, a copy after.
struct PatternReceiver: Sendable {
    static let keyBytes = 16
    let expected: [UInt8]
    /// The pattern's first 16 bytes, big-endian: compared with ``window``.
    private let key: UInt128
    /// The newest 16 bytes received, newest in the low byte.
    private var window: UInt128 = 0
    /// What arrived from the pattern's first byte on (at most `expected.count`).
    private var captured: [UInt8]
    private(set) var capturedCount = 0
    /// Every byte received, before and after the pattern was found.
    private(set) var heard = 0
    /// Offset in the received stream where the pattern began (-1: not yet found).
    private(set) var offset = -1

    init(expected: [UInt8]) {
        self.expected = expected
        var key: UInt128 = 0
        for b in expected.prefix(Self.keyBytes) { key = key << 8 | UInt128(b) }
        self.key = key
        captured = [UInt8](repeating: 0, count: expected.count)
    }

    /// True once the whole pattern length has arrived after the key.
    var isComplete: Bool { offset >= 0 && capturedCount == expected.count }

    /// Media side: feeds received bytes (any count; a frame at a time on the line).
    mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let start = heard
        heard += bytes.count
        var from = 0
        if offset < 0 {
            guard let at = hunt(base.assumingMemoryBound(to: UInt8.self), bytes.count, streamOffset: start) else { return }
            offset = start + at
            for k in 0..<Self.keyBytes { captured[k] = expected[k] }  // equal to what arrived
            capturedCount = Self.keyBytes
            from = at + Self.keyBytes
        }
        let n = min(bytes.count - from, captured.count - capturedCount)
        guard n > 0 else { return }
        captured.withUnsafeMutableBytes { out in
            (out.baseAddress! + capturedCount).copyMemory(from: base + from, byteCount: n)
        }
        capturedCount += n
    }

    /// Where the key ends up starting, relative to `p` (negative: it began in
    /// earlier bytes); nil when it is not here, with ``window`` updated.
    private mutating func hunt(_ p: UnsafePointer<UInt8>, _ count: Int, streamOffset: Int) -> Int? {
        let keyBytes = Self.keyBytes
        guard expected.count >= keyBytes else { return nil }
        // A key begun in earlier bytes ends in the first 15 of these.
        let straddling = min(count, keyBytes - 1)
        for i in 0..<straddling {
            window = window << 8 | UInt128(p[i])
            if window == key && streamOffset + i + 1 >= keyBytes { return i + 1 - keyBytes }
        }
        // Keys wholly inside these bytes: candidates by their first byte.
        let found: Int? = expected.withUnsafeBufferPointer { e in
            var i = 0
            while count - i >= keyBytes, let hit = memchr(p + i, Int32(e[0]), count - i - keyBytes + 1) {
                let j = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(hit))
                if memcmp(p + j, e.baseAddress!, keyBytes) == 0 { return j }
                i = j + 1
            }
            return nil
        }
        if let found { return found }
        for i in max(straddling, count - keyBytes)..<count { window = window << 8 | UInt128(p[i]) }
        return nil
    }

    /// Compares what was captured with the pattern; a missing tail counts as errors.
    func check() -> PatternCheck {
        guard offset >= 0 else {
            return PatternCheck(expected: expected.count, received: 0, heard: heard, offset: -1, bitErrors: 0, byteErrors: 0,
                                firstError: -1)
        }
        var bytes = 0, bits = 0, first = -1
        for k in 0..<capturedCount where captured[k] != expected[k] {
            if first < 0 { first = k }
            bytes += 1
            bits += (captured[k] ^ expected[k]).nonzeroBitCount
        }
        let missing = expected.count - capturedCount
        if first < 0 && missing > 0 { first = capturedCount }
        return PatternCheck(expected: expected.count, received: capturedCount, heard: heard, offset: offset,
                            bitErrors: bits + missing * 8, byteErrors: bytes + missing, firstError: first)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Synchronization

/// A pseudo-random byte pattern (xorshift32) that both ends of a test call
/// can regenerate from a seed.
public struct TestPattern: Sendable {
    public static func bytes(seed: UInt32, count: Int) -> [UInt8] {
        var x = seed == 0 ? 0x9E37_79B9 : seed
        return (0..<count).map { _ in
            x ^= x << 13
            x ^= x >> 17
            x ^= x << 5
            return UInt8(truncatingIfNeeded: x >> 11)
        }
    }

    /// FNV-1a of a string: the seed both ends derive from what Q.931 carries.
    public static func seed(_ text: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in text.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }
}

/// The result of checking a received pattern against the one sent.
public struct PatternCheck: Sendable, Equatable, CustomStringConvertible {
    public var expected: Int
    public var received: Int
    /// Offset in the received stream where the pattern began (-1: not found).
    public var offset: Int
    public var bitErrors: Int
    public var byteErrors: Int

    public var bitExact: Bool { offset >= 0 && received >= expected && byteErrors == 0 }
    public var description: String {
        offset < 0 ? "pattern not found (\(received) bytes received)"
            : "\(expected) bytes compared at offset \(offset): \(byteErrors) byte errors, \(bitErrors) bit errors"
    }

    /// Finds `pattern` in `stream` by its first 16 bytes and compares the rest.
    public static func check(pattern: [UInt8], in stream: UnsafeBufferPointer<UInt8>) -> PatternCheck {
        let key = 16
        guard pattern.count >= key, stream.count >= key else {
            return PatternCheck(expected: pattern.count, received: 0, offset: -1, bitErrors: 0, byteErrors: 0)
        }
        var offset = -1
        search: for i in 0...(stream.count - key) {
            for k in 0..<key where stream[i + k] != pattern[k] { continue search }
            offset = i
            break
        }
        guard offset >= 0 else {
            return PatternCheck(expected: pattern.count, received: 0, offset: -1, bitErrors: 0, byteErrors: 0)
        }
        let n = min(pattern.count, stream.count - offset)
        var bytes = 0, bits = 0
        for k in 0..<n where stream[offset + k] != pattern[k] {
            bytes += 1
            bits += (stream[offset + k] ^ pattern[k]).nonzeroBitCount
        }
        bytes += pattern.count - n  // missing tail counts as errors
        return PatternCheck(expected: pattern.count, received: n, offset: offset, bitErrors: bits + (pattern.count - n) * 8,
                            byteErrors: bytes)
    }
}

/// One far-end B-channel running a pattern test: it transmits its pattern a
/// frame per tick (`prime` frames ahead) and records everything it receives.
/// Buffers are allocated when the test is armed, never on the media thread.
final class PatternChannel: @unchecked Sendable {
    enum Phase: Int { case idle = 0, armed, running, stopping, stopped }
    private let phase = Atomic<Int>(Phase.idle.rawValue)
    private var tx: [UInt8] = []
    private var txPos = 0
    private var rx: UnsafeMutableBufferPointer<UInt8> = .init(start: nil, count: 0)
    private var rxLen = 0

    var currentPhase: Phase { Phase(rawValue: phase.load(ordering: .acquiring))! }
    /// Wakes the simulator's media thread when a run is armed or stopped.
    private let bell: Doorbell

    init(bell: Doorbell) { self.bell = bell }

    /// True while the media thread has work here (armed, running or stopping).
    var needsTicks: Bool {
        let p = currentPhase
        return p == .armed || p == .running || p == .stopping
    }

    /// Control side: prepares a run (channel must be idle or stopped).
    func arm(pattern: [UInt8], slackFrames: Int) {
        precondition(currentPhase == .idle || currentPhase == .stopped)
        rx.deallocate()
        tx = pattern
        txPos = 0
        rx = .allocate(capacity: pattern.count + slackFrames * frameBytes)
        rxLen = 0
        phase.store(Phase.armed.rawValue, ordering: .releasing)
        bell.ring()
    }

    /// Control side: asks the media thread to end the run at its next tick.
    func stop() {
        if currentPhase == .armed || currentPhase == .running {
            phase.store(Phase.stopping.rawValue, ordering: .releasing)
            bell.ring()
        }
    }

    /// True once the media thread has let go of the buffers.
    var isStopped: Bool { currentPhase == .stopped || currentPhase == .idle }

    /// Control side, once ``isStopped``: what was received.
    var received: [UInt8] { Array(rx[0..<rxLen]) }

    var sent: Int { txPos }

    deinit { rx.deallocate() }

    /// Media side, each tick.
    func tick(span: any SpanDriver, channel: Int, scratch: UnsafeMutableRawBufferPointer, prime: Int) {
        let p = currentPhase
        if p == .armed {
            span.setInUse(channel: channel, true)
            span.flush(channel: channel)
            scratch.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
            for _ in 0..<prime { _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(scratch)) }
            phase.store(Phase.running.rawValue, ordering: .releasing)
        } else if p == .stopping {
            span.setInUse(channel: channel, false)
            phase.store(Phase.stopped.rawValue, ordering: .releasing)
            return
        } else if p != .running {
            return  // not in use: not read (what arrives meanwhile is flushed when armed)
        }
        if txPos < tx.count {
            let n = min(frameBytes, tx.count - txPos)
            tx.withUnsafeBytes { all in
                _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(rebasing: all[txPos..<(txPos + n)]))
            }
            txPos += n
        }
        while true {
            let got = span.readFrame(channel: channel, into: scratch)
            if got == 0 { break }
            let room = rx.count - rxLen
            let n = min(got, room)
            if n > 0 {
                UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(rx)[rxLen..<(rxLen + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                rxLen += n
            }
        }
    }
}

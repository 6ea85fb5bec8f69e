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
    /// Bytes of the pattern that arrived (from its first byte on).
    public var received: Int
    /// Every byte the receiver heard, before the pattern and after it.
    public var heard: Int
    /// Offset in the received stream where the pattern began (-1: not found).
    public var offset: Int
    public var bitErrors: Int
    public var byteErrors: Int
    /// Byte of the pattern where the first error is (-1: none).
    public var firstError: Int

    public var bitExact: Bool { offset >= 0 && received >= expected && byteErrors == 0 }
    public var description: String {
        offset < 0 ? "pattern not found (\(heard) bytes received)"
            : "\(expected) bytes compared at offset \(offset): \(byteErrors) byte errors, \(bitErrors) bit errors"
                + (firstError >= 0 ? ", the first at byte \(firstError)" : "")
                + (received < expected ? " (\(expected - received) bytes missing)" : "")
    }

    /// Finds `pattern` in `stream` by its first 16 bytes and compares the rest.
    public static func check(pattern: [UInt8], in stream: UnsafeBufferPointer<UInt8>) -> PatternCheck {
        var receiver = PatternReceiver(expected: pattern)
        receiver.receive(UnsafeRawBufferPointer(stream))
        return receiver.check()
    }
}

/// One far-end B-channel running a pattern test. Armed, it listens at once
/// (the ``PatternReceiver`` finds the expected pattern wherever it arrives).
/// It transmits once it has its stream, given at arming or later with
/// ``send(_:)``: `prime` idle frames ahead, then a frame per tick.
/// Buffers are allocated when the test is armed, never on the media thread.
final class PatternChannel: @unchecked Sendable {
    enum Phase: Int { case idle = 0, armed, running, stopping, stopped }
    private let phase = Atomic<Int>(Phase.idle.rawValue)
    /// `tx` is written by the control side only while this is false.
    private let streamGiven = Atomic<Bool>(false)
    private let complete = Atomic<Bool>(false)
    private var tx: [UInt8] = []
    private var txPos = 0
    /// Media side: the transmit slack is queued (reset when armed).
    private var primed = false
    private var receiver = PatternReceiver(expected: [])

    var currentPhase: Phase { Phase(rawValue: phase.load(ordering: .acquiring))! }
    /// Wakes the simulator's media thread when a run is armed or stopped.
    private let bell: Doorbell

    init(bell: Doorbell) { self.bell = bell }

    /// True while the media thread has work here (armed, running or stopping).
    var needsTicks: Bool {
        let p = currentPhase
        return p == .armed || p == .running || p == .stopping
    }

    /// Control side: prepares a run (channel must be idle or stopped): listen
    /// for `expecting`; send `sending` now, or later with ``send(_:)``.
    func arm(expecting: [UInt8], sending: [UInt8]? = nil) {
        precondition(currentPhase == .idle || currentPhase == .stopped)
        receiver = PatternReceiver(expected: expecting)
        tx = sending ?? []
        txPos = 0
        primed = false
        streamGiven.store(sending != nil, ordering: .relaxed)
        complete.store(false, ordering: .relaxed)
        phase.store(Phase.armed.rawValue, ordering: .releasing)
        bell.ring()
    }

    /// Control side, once armed without a stream: starts sending `stream`.
    func send(_ stream: [UInt8]) {
        guard currentPhase == .armed || currentPhase == .running, !streamGiven.load(ordering: .acquiring) else { return }
        tx = stream
        txPos = 0
        streamGiven.store(true, ordering: .releasing)
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

    /// True once the whole expected pattern has arrived (control side, at any time).
    var hasPattern: Bool { complete.load(ordering: .acquiring) }

    /// Control side, once ``isStopped``: what arrived, compared with what was expected.
    func check() -> PatternCheck { receiver.check() }

    /// Media side, each tick.
    func tick(span: any SpanDriver, channel: Int, scratch: UnsafeMutableRawBufferPointer, prime: Int) {
        let p = currentPhase
        if p == .armed {
            span.setInUse(channel: channel, true)
            span.flush(channel: channel)
            phase.store(Phase.running.rawValue, ordering: .releasing)
        } else if p == .stopping {
            span.setInUse(channel: channel, false)
            phase.store(Phase.stopped.rawValue, ordering: .releasing)
            return
        } else if p != .running {
            return  // not in use: not read (what arrives meanwhile is flushed when armed)
        }
        if streamGiven.load(ordering: .acquiring) {
            if !primed {
                scratch.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
                for _ in 0..<prime { _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(scratch)) }
                primed = true
            }
            if txPos < tx.count {
                let n = min(frameBytes, tx.count - txPos)
                tx.withUnsafeBytes { all in
                    _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(rebasing: all[txPos..<(txPos + n)]))
                }
                txPos += n
            }
        }
        while true {
            let got = span.readFrame(channel: channel, into: scratch)
            if got == 0 { break }
            receiver.receive(UnsafeRawBufferPointer(rebasing: scratch[0..<got]))
        }
        if receiver.isComplete { complete.store(true, ordering: .releasing) }
    }
}

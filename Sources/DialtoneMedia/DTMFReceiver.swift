// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// SpanDSP's DTMF receiver (ITU-T Q.24): fed linear or G.711 audio, it
/// collects the digits it detects until they are taken.
///
/// Allocation only in `init`: ``reset()`` re-initialises the state in place,
/// ``receive(_:count:)`` and ``takeDigits(into:capacity:)`` neither allocate
/// nor lock, so the media thread runs one per channel. One owner at a time.
public final class DTMFReceiver: @unchecked Sendable {
    private let state: OpaquePointer  // dtmf_rx_state_t
    private let scratch: UnsafeMutablePointer<Int16>
    private let digits: UnsafeMutablePointer<CChar>
    private let tables = G711Tables.shared
    /// Twist accepted (dB): high group below the low one (normal) and above it (reverse).
    public let normalTwist: Int
    public let reverseTwist: Int

    /// Digits held before they are taken (SpanDSP's buffer, MAX_DTMF_DIGITS).
    static let digitCapacity = 128
    static let stateSize = CSpanDSP_dtmf_rx_state_size()

    /// 9 dB normal and 6 dB reverse twist by default: SpanDSP's default
    /// reverse twist of 4 dB loses digits at the Q.24 limits.
    public convenience init(profile: DTMFProfile) {
        self.init()
    }

    public init(normalTwist: Int = 9, reverseTwist: Int = 6) {
        self.normalTwist = normalTwist
        self.reverseTwist = reverseTwist
        state = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: DTMFReceiver.stateSize, alignment: 16))
        scratch = .allocate(capacity: frameBytes)
        digits = .allocate(capacity: DTMFReceiver.digitCapacity + 1)
        reset()
    }

    deinit {
        UnsafeMutableRawPointer(state).deallocate()
        scratch.deallocate()
        digits.deallocate()
    }

    /// Forgets any tone in progress and any digit not taken (in place, no allocation).
    public func reset() {
        _ = dtmf_rx_init(state, nil, nil)  // no callback: digits wait in the receiver for takeDigits
        dtmf_rx_parms(state, 0, Int32(normalTwist), Int32(reverseTwist), -99)
    }

    /// Feeds `count` linear samples (8 kHz).
    @inline(__always)
    public func receive(_ samples: UnsafePointer<Int16>, count: Int) {
        _ = dtmf_rx(state, samples, Int32(count))
    }

    /// Feeds G.711 bytes of `law`.
    public func receive(g711 bytes: UnsafeRawBufferPointer, law: G711Law) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var done = 0
        while done < bytes.count {
            let n = min(frameBytes, bytes.count - done)
            tables.decode(base + done, count: n, law, into: scratch)
            receive(scratch, count: n)
            done += n
        }
    }

    /// Moves up to `capacity` detected digits (ASCII) into `buffer`, oldest
    /// first; returns how many.
    @inline(__always)
    public func takeDigits(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int {
        let n = Int(dtmf_rx_get(state, digits, Int32(min(capacity, DTMFReceiver.digitCapacity))))
        if n > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: digits, byteCount: n) }
        return n
    }

    /// Moves up to `capacity` accepted tones into `buffer`, oldest first; returns how many.
    /// (Interim: SpanDSP's receiver reports no durations.)
    @inline(__always)
    public func takeTones(into buffer: UnsafeMutablePointer<DTMFTone>, capacity: Int) -> Int {
        let n = Int(dtmf_rx_get(state, digits, Int32(min(capacity, DTMFReceiver.digitCapacity))))
        for k in 0..<n { buffer[k] = DTMFTone(key: UInt8(bitPattern: digits[k]), durationMs: 0, ageMs: 0) }
        return n
    }

    /// The digits detected and not yet taken, as text (allocates: not for the media thread).
    public func takeDigits() -> String {
        var out = ""
        var buffer = [UInt8](repeating: 0, count: DTMFReceiver.digitCapacity)
        let n = buffer.withUnsafeMutableBufferPointer { takeDigits(into: $0.baseAddress!, capacity: $0.count) }
        for k in 0..<n { out.append(Character(UnicodeScalar(buffer[k]))) }
        return out
    }
}

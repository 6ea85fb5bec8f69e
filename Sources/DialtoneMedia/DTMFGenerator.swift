// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// SpanDSP's DTMF generator: digits queued as text come out as audio, the
/// low group at `level` dBm0 and the high group `twist` dB above it, each
/// digit `onMs` long and followed by `offMs` of silence.
///
/// Allocation only in `init`; ``generate(into:count:)`` neither allocates
/// nor locks. One owner at a time.
public final class DTMFGenerator: @unchecked Sendable {
    private let state: OpaquePointer  // dtmf_tx_state_t
    private let scratch: UnsafeMutablePointer<Int16>
    private let tables = G711Tables.shared

    public init(level: Int = -10, twist: Int = 0, onMs: Int = 60, offMs: Int = 60) {
        state = dtmf_tx_init(nil)
        scratch = .allocate(capacity: frameBytes)
        dtmf_tx_set_level(state, Int32(level), Int32(twist))
        dtmf_tx_set_timing(state, Int32(onMs), Int32(offMs))
    }

    deinit {
        _ = dtmf_tx_free(state)
        scratch.deallocate()
    }

    /// Queues digits (0–9, *, #, A–D); false when they do not fit (SpanDSP holds 128).
    @discardableResult
    public func queue(_ digits: String) -> Bool {
        dtmf_tx_put(state, digits, Int32(digits.utf8.count)) == 0
    }

    /// Up to `count` linear samples of the queued digits; fewer (0 at the end) when they run out.
    @inline(__always)
    public func generate(into samples: UnsafeMutablePointer<Int16>, count: Int) -> Int {
        Int(dtmf_tx(state, samples, Int32(count)))
    }

    /// Up to `buffer.count` bytes of the queued digits in `law`; how many were written.
    public func generate(g711 buffer: UnsafeMutableRawBufferPointer, law: G711Law) -> Int {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = generate(into: scratch, count: min(frameBytes, buffer.count - done))
            if n <= 0 { break }
            tables.encode(scratch, count: n, law, into: base + done)
            done += n
        }
        return done
    }

    /// `digits` as G.711 audio of `law`, ready to send (allocates).
    public static func g711(_ digits: String, law: G711Law, level: Int = -10, twist: Int = 0,
                            onMs: Int = 60, offMs: Int = 60) -> [UInt8] {
        let generator = DTMFGenerator(level: level, twist: twist, onMs: onMs, offMs: offMs)
        var out: [UInt8] = []
        var frame = [UInt8](repeating: 0, count: frameBytes)
        for chunk in stride(from: 0, to: digits.count, by: 100) {  // SpanDSP's queue holds 128 digits
            let start = digits.index(digits.startIndex, offsetBy: chunk)
            let end = digits.index(start, offsetBy: min(100, digits.count - chunk))
            generator.queue(String(digits[start..<end]))
            while true {
                let n = frame.withUnsafeMutableBytes { generator.generate(g711: $0, law: law) }
                out += frame[0..<n]
                if n < frameBytes { break }
            }
        }
        return out
    }
}

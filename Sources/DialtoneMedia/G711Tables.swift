// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// G.711 ↔ linear lookup tables (SpanDSP's codec, tabulated once for the
/// process and never freed): the media thread and the DSP wrappers convert
/// with two loads instead of SpanDSP's bit arithmetic.
struct G711Tables: @unchecked Sendable {
    /// The process's tables (built on first use: touch them before a real-time loop).
    static let shared = G711Tables()

    let toLinear: UnsafeMutablePointer<Int16>   // [0..<256] µ-law, [256..<512] A-law
    let fromLinear: UnsafeMutablePointer<UInt8> // [0..<65536] µ-law, [65536..<131072] A-law, index = UInt16(bitPattern:)

    private init() {
        toLinear = .allocate(capacity: 512)
        fromLinear = .allocate(capacity: 131_072)
        for i in 0..<256 {
            toLinear[i] = CSpanDSP_ulaw_to_linear(UInt8(i))
            toLinear[256 + i] = CSpanDSP_alaw_to_linear(UInt8(i))
        }
        for i in 0..<65536 {
            let s = Int16(bitPattern: UInt16(i))
            fromLinear[i] = CSpanDSP_linear_to_ulaw(s)
            fromLinear[65536 + i] = CSpanDSP_linear_to_alaw(s)
        }
    }

    @inline(__always) func linear(_ byte: UInt8, _ law: G711Law) -> Int16 {
        toLinear[(law == .alaw ? 256 : 0) + Int(byte)]
    }

    @inline(__always) func encode(_ sample: Int16, _ law: G711Law) -> UInt8 {
        fromLinear[(law == .alaw ? 65536 : 0) + Int(UInt16(bitPattern: sample))]
    }

    /// Decodes `count` bytes into linear samples.
    @inline(__always) func decode(_ bytes: UnsafePointer<UInt8>, count: Int, _ law: G711Law, into out: UnsafeMutablePointer<Int16>) {
        let table = toLinear + (law == .alaw ? 256 : 0)
        for k in 0..<count { out[k] = table[Int(bytes[k])] }
    }

    /// Encodes `count` linear samples into bytes.
    @inline(__always) func encode(_ samples: UnsafePointer<Int16>, count: Int, _ law: G711Law, into out: UnsafeMutablePointer<UInt8>) {
        let table = fromLinear + (law == .alaw ? 65536 : 0)
        for k in 0..<count { out[k] = table[Int(UInt16(bitPattern: samples[k]))] }
    }
}

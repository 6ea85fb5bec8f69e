// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// The per-channel DSP state the engine owns: a SpanDSP tone generator and
/// DTMF receiver, allocated once when the engine is built and
/// re-initialised in place when a channel starts using them.
struct ChannelDSP {
    var toneState: OpaquePointer
    var dtmfState: OpaquePointer
    var toneOn = false
    var detect = false
    /// The prompt being played (audio owned by the ``PromptLibrary``), if any.
    var prompt: UnsafePointer<UInt8>? = nil
    var promptLength = 0
    var promptPosition = 0
    var promptToken = 0
    var promptLoop = false
    /// The recording slot this channel's received audio goes to (-1: none), and which party it is.
    var recordSlot = -1
    var recordSide = 0
    var law: G711Law

    static let toneSize = CSpanDSP_tone_gen_state_size()
    static let dtmfSize = CSpanDSP_dtmf_rx_state_size()

    init(law: G711Law) {
        self.law = law
        toneState = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: ChannelDSP.toneSize, alignment: 16))
        dtmfState = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: ChannelDSP.dtmfSize, alignment: 16))
    }

    func deallocate() {
        UnsafeMutableRawPointer(toneState).deallocate()
        UnsafeMutableRawPointer(dtmfState).deallocate()
    }
}

/// G.711 ↔ linear lookup tables (SpanDSP's codec, tabulated once).
struct G711Tables {
    let toLinear: UnsafeMutablePointer<Int16>   // [0..<256] µ-law, [256..<512] A-law
    let fromLinear: UnsafeMutablePointer<UInt8> // [0..<65536] µ-law, [65536..<131072] A-law, index = UInt16(bitPattern:)

    init() {
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

    func deallocate() {
        toLinear.deallocate()
        fromLinear.deallocate()
    }
}

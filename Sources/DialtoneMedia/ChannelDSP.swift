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

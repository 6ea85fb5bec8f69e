// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// 256-entry translation tables between the two G.711 laws (SpanDSP's codec).
public enum G711 {
    /// µ-law byte → A-law byte.
    public static let ulawToAlaw: [UInt8] = (0...255).map { CSpanDSP_linear_to_alaw(CSpanDSP_ulaw_to_linear(UInt8($0))) }
    /// A-law byte → µ-law byte.
    public static let alawToUlaw: [UInt8] = (0...255).map { CSpanDSP_linear_to_ulaw(CSpanDSP_alaw_to_linear(UInt8($0))) }

    /// A G.711 byte as a linear sample.
    public static func linear(_ byte: UInt8, _ law: G711Law) -> Int16 {
        law == .alaw ? CSpanDSP_alaw_to_linear(byte) : CSpanDSP_ulaw_to_linear(byte)
    }

    /// A linear sample as a G.711 byte.
    public static func encode(_ sample: Int16, _ law: G711Law) -> UInt8 {
        law == .alaw ? CSpanDSP_linear_to_alaw(sample) : CSpanDSP_linear_to_ulaw(sample)
    }

    /// The table that converts `from` into `to`, nil when they are the same law.
    public static func table(from: G711Law, to: G711Law) -> [UInt8]? {
        if from == to { return nil }
        return from == .mulaw ? ulawToAlaw : alawToUlaw
    }
}

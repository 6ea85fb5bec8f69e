// SPDX-License-Identifier: GPL-2.0-or-later

/// The trunk type: E1 (30B+D, D on timeslot 16) or T1 (23B+D, D on timeslot 24).
public enum SpanType: String, Sendable, CaseIterable, Codable {
    case e1 = "E1"
    case t1 = "T1"

    /// Timeslots on the line (channels DAHDI numbers on the span).
    public var timeslots: Int { self == .e1 ? 31 : 24 }
    /// The D-channel's timeslot.
    public var dchannelTimeslot: Int { self == .e1 ? 16 : 24 }
    /// B-channels in Q.931 numbering: E1 1–15 and 17–31, T1 1–23.
    public var bearerChannels: [Int] {
        (1...timeslots).filter { $0 != dchannelTimeslot }
    }
    /// The G.711 law the type normally carries.
    public var defaultLaw: G711Law { self == .e1 ? .alaw : .mulaw }
}

/// G.711 companding law of a span's B-channels.
public enum G711Law: String, Sendable, CaseIterable, Codable {
    case mulaw = "ulaw"
    case alaw = "alaw"

    /// The code for silence (positive zero) that an idle channel carries.
    public var idleByte: UInt8 { self == .mulaw ? 0xFF : 0xD5 }
}

/// Samples per 20 ms frame at 8 kHz: the unit of all B-channel I/O.
public let frameBytes = 160

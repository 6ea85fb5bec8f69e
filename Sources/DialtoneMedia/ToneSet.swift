// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// Call progress tones the engine plays (SpanDSP's tone generator).
public enum Tone: Int, Sendable, CaseIterable {
    case dial, ringback, busy, congestion
}

/// One country's call progress tones: frequencies (Hz), level (dBm0) and
/// cadence (ms on, off, on, off; 0 = continuous).
public struct ToneSet: Sendable, Equatable {
    public struct Spec: Sendable, Equatable {
        public var f1: Int, f2: Int, level: Int
        public var cadence: (Int, Int, Int, Int)
        public static func == (a: Spec, b: Spec) -> Bool {
            a.f1 == b.f1 && a.f2 == b.f2 && a.level == b.level && a.cadence == b.cadence
        }
    }
    public var name: String
    public var specs: [Tone: Spec]

    /// North America (ANSI T1.401): 350+440 dial, 440+480 2 s/4 s ringback,
    /// 480+620 0.5/0.5 busy, 480+620 0.25/0.25 reorder.
    public static let northAmerica = ToneSet(name: "us", specs: [
        .dial: Spec(f1: 350, f2: 440, level: -13, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 440, f2: 480, level: -19, cadence: (2000, 4000, 0, 0)),
        .busy: Spec(f1: 480, f2: 620, level: -24, cadence: (500, 500, 0, 0)),
        .congestion: Spec(f1: 480, f2: 620, level: -24, cadence: (250, 250, 0, 0)),
    ])

    /// ITU-T E.180 / ETSI common values: 425 Hz; ringback 1 s/4 s, busy
    /// 0.5/0.5, congestion 0.2/0.2.
    public static let europe = ToneSet(name: "eu", specs: [
        .dial: Spec(f1: 425, f2: 0, level: -10, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 425, f2: 0, level: -10, cadence: (1000, 4000, 0, 0)),
        .busy: Spec(f1: 425, f2: 0, level: -10, cadence: (500, 500, 0, 0)),
        .congestion: Spec(f1: 425, f2: 0, level: -10, cadence: (200, 200, 0, 0)),
    ])

    /// The usual set for a span's law: A-law spans are European, µ-law North American.
    public static func `default`(for law: G711Law) -> ToneSet { law == .alaw ? .europe : .northAmerica }
}

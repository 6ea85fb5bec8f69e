// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// Call progress tones the engine plays (SpanDSP's tone generator).
public enum Tone: Int, Sendable, CaseIterable {
    case dial, ringback, busy, congestion

    public var name: String { ["dial", "ringback", "busy", "congestion"][rawValue] }
    /// How many there are (`allCases.count` without building the array: the media thread indexes by it).
    static let count = 4
}

/// One country's call progress tones: frequencies (Hz), level (dBm0) and
/// cadence (ms on, off, on, off; 0 = continuous).
public struct ToneSet: Sendable, Equatable {
    public struct Spec: Sendable, Equatable {
        public var f1: Int, f2: Int, level: Int
        public var cadence: (Int, Int, Int, Int)
        public init(f1: Int, f2: Int, level: Int, cadence: (Int, Int, Int, Int)) {
            self.f1 = f1
            self.f2 = f2
            self.level = level
            self.cadence = cadence
        }
        public static func == (a: Spec, b: Spec) -> Bool {
            a.f1 == b.f1 && a.f2 == b.f2 && a.level == b.level && a.cadence == b.cadence
        }
    }
    public var name: String
    public var specs: [Tone: Spec]
    public init(name: String, specs: [Tone: Spec]) {
        self.name = name
        self.specs = specs
    }

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

    /// United Kingdom (BT SIN 350): 350+440 dial, 400+450 double-ring
    /// ringback, 400 Hz busy and the 4-part congestion cadence.
    public static let unitedKingdom = ToneSet(name: "uk", specs: [
        .dial: Spec(f1: 350, f2: 440, level: -13, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 400, f2: 450, level: -19, cadence: (400, 200, 400, 2000)),
        .busy: Spec(f1: 400, f2: 0, level: -13, cadence: (375, 375, 0, 0)),
        .congestion: Spec(f1: 400, f2: 0, level: -13, cadence: (400, 350, 225, 525)),
    ])

    /// Germany (1TR110): 425 Hz; ringback 1 s/4 s, busy 0.48/0.48, congestion 0.24/0.24.
    public static let germany = ToneSet(name: "de", specs: [
        .dial: Spec(f1: 425, f2: 0, level: -10, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 425, f2: 0, level: -10, cadence: (1000, 4000, 0, 0)),
        .busy: Spec(f1: 425, f2: 0, level: -10, cadence: (480, 480, 0, 0)),
        .congestion: Spec(f1: 425, f2: 0, level: -10, cadence: (240, 240, 0, 0)),
    ])

    /// France: 440 Hz; ringback 1.5 s/3.5 s, busy and congestion 0.5/0.5.
    public static let france = ToneSet(name: "fr", specs: [
        .dial: Spec(f1: 440, f2: 0, level: -10, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 440, f2: 0, level: -10, cadence: (1500, 3500, 0, 0)),
        .busy: Spec(f1: 440, f2: 0, level: -10, cadence: (500, 500, 0, 0)),
        .congestion: Spec(f1: 440, f2: 0, level: -10, cadence: (500, 500, 0, 0)),
    ])

    /// Australia (AS/ACIF S002): 425 Hz dial, 400+450 double-ring ringback.
    public static let australia = ToneSet(name: "au", specs: [
        .dial: Spec(f1: 425, f2: 0, level: -10, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 400, f2: 450, level: -16, cadence: (400, 200, 400, 2000)),
        .busy: Spec(f1: 425, f2: 0, level: -10, cadence: (375, 375, 0, 0)),
        .congestion: Spec(f1: 425, f2: 0, level: -10, cadence: (375, 375, 0, 0)),
    ])

    /// Japan: 400 Hz; ringback 1 s/2 s, busy and congestion 0.5/0.5.
    public static let japan = ToneSet(name: "jp", specs: [
        .dial: Spec(f1: 400, f2: 0, level: -10, cadence: (0, 0, 0, 0)),
        .ringback: Spec(f1: 400, f2: 0, level: -10, cadence: (1000, 2000, 0, 0)),
        .busy: Spec(f1: 400, f2: 0, level: -10, cadence: (500, 500, 0, 0)),
        .congestion: Spec(f1: 400, f2: 0, level: -10, cadence: (500, 500, 0, 0)),
    ])

    /// The built-in sets by name (`tones:` in a span's configuration).
    public static let builtIn: [String: ToneSet] = [
        "us": .northAmerica, "eu": .europe, "uk": .unitedKingdom, "de": .germany, "fr": .france, "au": .australia, "jp": .japan,
    ]

    /// The usual set for a span's law: A-law spans are European, µ-law North American.
    public static func `default`(for law: G711Law) -> ToneSet { law == .alaw ? .europe : .northAmerica }

    /// One tone from text: `F1[+F2][@LEVEL][/ON,OFF[,ON,OFF]]` (Hz, dBm0, ms),
    /// e.g. `425/1000,4000`, `400+450@-19/400,200,400,2000`, `350+440`.
    public static func parseSpec(_ text: String) -> Spec? {
        let parts = text.replacingOccurrences(of: " ", with: "").split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return nil }
        var level = -10
        var freq = Substring(parts[0])
        if let at = freq.firstIndex(of: "@") {
            guard let l = Int(freq[freq.index(after: at)...]), (-40...0).contains(l) else { return nil }
            level = l
            freq = freq[..<at]
        }
        let f = freq.split(separator: "+").map { Int($0) }
        guard (1...2).contains(f.count), let f1 = f[0], (50...4000).contains(f1) else { return nil }
        let f2 = f.count == 2 ? f[1] : 0
        guard let f2, f2 == 0 || (50...4000).contains(f2) else { return nil }
        var c = [0, 0, 0, 0]
        if parts.count == 2 {
            let ms = parts[1].split(separator: ",").map { Int($0) }
            guard ms.count == 2 || ms.count == 4, ms.allSatisfy({ $0 != nil && $0! >= 0 && $0! <= 10_000 }) else { return nil }
            for (i, v) in ms.enumerated() { c[i] = v! }
        }
        return Spec(f1: f1, f2: f2, level: level, cadence: (c[0], c[1], c[2], c[3]))
    }
}

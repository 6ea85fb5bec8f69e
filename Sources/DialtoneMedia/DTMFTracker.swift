// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// What one analysis block (``DTMFReceiver/blockLength`` samples) showed:
/// the eight Goertzel powers (rows then columns, SpanDSP's scale) and, when
/// the block looked like a key, that key with each tone's measured offset
/// from nominal (Hz) and its amplitude corrected for that offset.
struct DTMFBlock {
    var powers: SIMD8<Float>
    /// 0…15 (row × 4 + column) when the block passed the block tests, else −1.
    var key: Int = -1
    var rowOffset: Float = 0
    var columnOffset: Float = 0
    var rowAmplitude: Float = 0
    var columnAmplitude: Float = 0
    /// The share of the block's energy in the two tones, corrected for their offsets (1 for a clean pair).
    var quality: Float = 0
}

/// The limits a tone must meet, as numbers (from a ``DTMFProfile``).
struct DTMFLimits {
    /// Shortest tone accepted (ms): between Q.24's must-reject and must-accept durations.
    var minimumDurationMs: Float
    /// A gap inside a tone ends the digit once it adds up to this many blocks
    /// (2 blocks = 25.5 ms: a 10 ms interruption never does, a 40 ms pause always).
    var endGapBlocks: Float
    /// Largest accepted offset of either tone from nominal (fraction).
    var frequencyTolerance: Float
    /// Largest accepted twist (dB): low group above high (normal), high above low (reverse).
    var normalTwist: Float
    var reverseTwist: Float
    /// Lowest accepted level per tone (dBm0).
    var minimumLevel: Float
    /// The share of a block's energy the tone pair must hold in its best block.
    var minimumQuality: Float = 0.92

    init(_ profile: DTMFProfile) {
        switch profile.standard {
        case .att:
            // Q.24 AT&T/Bellcore: accept ≥ 40 ms, reject ≤ 23 ms; interruption ≤ 10 ms
            // bridged, pause ≥ 40 ms separates; twist 8 dB normal / 4 dB reverse accepted,
            // 10 / 8 rejected.
            minimumDurationMs = 31.5
            endGapBlocks = 2.0
            normalTwist = 9
            reverseTwist = 6
        case .etsi:
            // ES 201 235-3: accept ≥ 40 ms, reject ≤ 20 ms; interruptions up to 20 ms
            // bridged; twist up to 6 dB either way.
            minimumDurationMs = 30
            endGapBlocks = 2.6
            normalTwist = 7
            reverseTwist = 7
        }
        // ±1.5 % accepted, ±3.5 % rejected: the boundary half-way.
        frequencyTolerance = 0.025
        // The profile's lowest level must pass with room for the measurement's spread.
        minimumLevel = Float(profile.minimumLevel) - 3
    }
}

/// The DTMF digit state machine: follows one key across blocks, bridges
/// short interruptions, measures the tone's length to a fraction of a block
/// from the key's Goertzel amplitudes (the blocks at either edge are only
/// partly covered by the tone), and when the tone ends validates it as a
/// whole against the ``DTMFLimits``: length, frequency offset, twist and
/// level averaged over its blocks. Pure: no audio, no clock but the sample count.
struct DTMFTracker {
    static let keys: [UInt8] = Array("123A456B789C*0#D".utf8)

    let limits: DTMFLimits
    let blockLength: Int
    private(set) var key = -1
    private var reference: Float = 0  // the largest amplitude of the key in one block
    private var presence: Float = 0  // Σ amplitudes of the key over the tone's blocks
    private var lead: Float = 0  // the amplitude in the block before the first hit
    private var pending: Float = 0  // amplitudes since the last hit
    private var gap: Float = 0  // blocks' worth of missing tone since the last hit
    private var hits = 0
    private var quality: Float = 0  // the best block's
    private var firstHit: Int64 = 0  // sample at which the first hit block began
    private var other = -1  // a different key seen once
    private var otherBlock = DTMFBlock(powers: .zero)
    private var rowOffsets: Float = 0, columnOffsets: Float = 0
    private var rowAmplitudes: Float = 0, columnAmplitudes: Float = 0
    private var previous = SIMD8<Float>.zero, beforePrevious = SIMD8<Float>.zero

    init(limits: DTMFLimits, blockLength: Int) {
        self.limits = limits
        self.blockLength = blockLength
        _ = DTMFTracker.keys  // made here, not on the media thread at the first digit
    }

    mutating func reset() {
        key = -1
        other = -1
        previous = .zero
        beforePrevious = .zero
    }

    /// The key's amplitude in a block: the root powers of its row and column.
    @inline(__always)
    private static func amplitude(_ key: Int, _ p: SIMD8<Float>) -> Float {
        p[key >> 2].squareRoot() + p[4 + key & 3].squareRoot()
    }

    /// Takes one block that began at sample `start`; a tone that ended and
    /// passed validation comes back (start sample, key, length in ms).
    mutating func block(_ b: DTMFBlock, start: Int64) -> (start: Int64, key: UInt8, durationMs: Float)? {
        var done: (start: Int64, key: UInt8, durationMs: Float)?
        if key >= 0 {
            let a = DTMFTracker.amplitude(key, b.powers)
            if b.key == key {
                add(a, b)
                other = -1
            } else if b.key >= 0, b.key == other {
                // A different key twice running: the digit ended, the new one began a block ago.
                done = finish()
                begin(other, at: start - Int64(blockLength), before: beforePrevious, first: otherBlock)
                add(DTMFTracker.amplitude(key, b.powers), b)
            } else {
                if b.key >= 0 { other = b.key; otherBlock = b } else { other = -1 }
                pending += a
                gap += 1 - min(1, a / reference)
                if gap >= limits.endGapBlocks { done = finish() }
            }
        } else if b.key >= 0 {
            begin(b.key, at: start, before: previous, first: nil)
            add(DTMFTracker.amplitude(b.key, b.powers), b)
        }
        beforePrevious = previous
        previous = b.powers
        return done
    }

    private mutating func begin(_ k: Int, at start: Int64, before: SIMD8<Float>, first: DTMFBlock?) {
        key = k
        reference = 0
        lead = DTMFTracker.amplitude(k, before)
        presence = lead
        pending = 0
        gap = 0
        hits = 0
        quality = 0
        firstHit = start
        other = -1
        rowOffsets = 0; columnOffsets = 0; rowAmplitudes = 0; columnAmplitudes = 0
        if let first { add(DTMFTracker.amplitude(k, first.powers), first) }
    }

    private mutating func add(_ a: Float, _ b: DTMFBlock) {
        reference = max(reference, a)
        presence += a + pending
        pending = 0
        gap = 0
        hits += 1
        quality = max(quality, b.quality)
        rowOffsets += b.rowOffset * b.rowAmplitude
        columnOffsets += b.columnOffset * b.columnAmplitude
        rowAmplitudes += b.rowAmplitude
        columnAmplitudes += b.columnAmplitude
    }

    /// The tone ended: measured and validated as a whole.
    private mutating func finish() -> (start: Int64, key: UInt8, durationMs: Float)? {
        let k = key
        key = -1
        // Two blocks at least, and one of them a clean pair (speech and music rarely are).
        guard hits >= 2, reference > 0, quality >= limits.minimumQuality else { return nil }
        let leadCovered = min(lead, reference) / reference
        let blocks = (presence - lead + min(lead, reference) + pending) / reference
        let ms = blocks * Float(blockLength) / 8
        guard ms >= limits.minimumDurationMs else { return nil }
        let row = DTMFReceiver.rows[k >> 2], column = DTMFReceiver.columns[k & 3]
        let rowOffset = rowOffsets / rowAmplitudes, columnOffset = columnOffsets / columnAmplitudes
        guard abs(rowOffset) <= limits.frequencyTolerance * row,
              abs(columnOffset) <= limits.frequencyTolerance * column else { return nil }
        let twist = 20 * log10(columnAmplitudes / rowAmplitudes)
        guard twist >= -limits.normalTwist, twist <= limits.reverseTwist else { return nil }
        let n = Float(hits)
        let rowLevel = DTMFReceiver.dBm0(amplitude: rowAmplitudes / n)
        let columnLevel = DTMFReceiver.dBm0(amplitude: columnAmplitudes / n)
        // The stronger tone at the profile's floor; the weaker may sit a twist below it.
        guard max(rowLevel, columnLevel) >= limits.minimumLevel,
              min(rowLevel, columnLevel) >= limits.minimumLevel - limits.normalTwist else { return nil }
        let start = firstHit - Int64((leadCovered * Float(blockLength)).rounded())
        return (start, DTMFTracker.keys[k], ms)
    }
}

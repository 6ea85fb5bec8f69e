// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans
import Foundation

/// The DTMF receiver, to the limits of ITU-T Q.24 (``DTMFProfile``), built
/// from SpanDSP's parts: its dial-tone notches and its Goertzel filters
/// (SpanDSP's descriptors and result scale; the eight DTMF bins run as one
/// 8-lane SIMD bank per sample, the frequency check's four side bins as one
/// 4-lane loop over the block), plus what SpanDSP's own receiver lacks for
/// the standard — a
/// measured frequency offset per tone, twist and level over the whole tone,
/// the tone's length to a fraction of a block, and interruptions bridged by
/// how much tone is missing rather than by block counts (``DTMFTracker``).
///
/// Audio is analysed in blocks of 102 samples (12.75 ms, as SpanDSP does).
/// A block "hits" a key when its best row and column are above the level
/// floor, each 6 dB above the rest of its group, hold most of the block's
/// energy and lie within a loose twist; each hit also measures both tones'
/// offset from nominal by comparing the nominal bin with one 28 Hz to the
/// side (Goertzels over the same block) against the exact response
/// of a 102-sample Goertzel. The tracker then decides the digit when the
/// tone ends. Digits are reported when their tone ends, with its length.
///
/// Allocation only in `init`; ``receive(_:count:)`` and
/// ``takeTones(into:capacity:)`` neither allocate nor lock, so the media
/// thread runs one per channel. One owner at a time.
public final class DTMFReceiver: @unchecked Sendable {
    public static let blockLength = 102
    static let rows: [Float] = [697, 770, 852, 941]
    static let columns: [Float] = [1209, 1336, 1477, 1633]
    /// Peak amplitude of a 0 dBm0 sine (3.14 dB below full scale, SpanDSP's DBM0_MAX_SINE_POWER).
    static let zeroDBm0: Float = 32768 * powf(10, -3.14 / 20)

    static func dBm0(amplitude: Float) -> Float { 20 * log10(max(amplitude, 1e-3) / zeroDBm0) }

    public let profile: DTMFProfile
    private let limits: DTMFLimits
    private let table = DTMFOffsetTable.shared
    // The Goertzel bank: rows 0–3, columns 4–7.
    private let coefficient: SIMD8<Float>
    private var v2 = SIMD8<Float>.zero, v3 = SIMD8<Float>.zero
    private var energy: Float = 0
    private var filled = 0
    private var notch = DialToneNotch()
    private let filter: Bool
    private let etsiNotch: Bool
    /// The block's samples after the notches, for the side Goertzels.
    private let block: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Int16>
    /// SpanDSP Goertzel descriptors 28 Hz below (2i) and above (2i + 1) each of the eight bins.
    private let sides: UnsafeMutablePointer<goertzel_descriptor_t>
    private let tables = G711Tables.shared
    private var tracker: DTMFTracker
    /// Samples analysed so far (the start of the block being filled is `fed - filled`).
    private var fed: Int64 = 0
    private let found: UnsafeMutablePointer<(start: Int64, key: UInt8, durationMs: Float)>
    private var foundCount = 0
    static let toneCapacity = 32

    // Block tests.
    private let floorPower: Float  // per-tone power 9 dB under the profile's lowest level
    private let looseNormal: Float, looseReverse: Float  // power ratios column / row

    public init(profile: DTMFProfile = .att) {
        self.profile = profile
        limits = DTMFLimits(profile)
        filter = profile.dialToneFilter
        etsiNotch = profile.dialToneFilter && profile.standard == .etsi
        var c = SIMD8<Float>.zero
        for (i, f) in (DTMFReceiver.rows + DTMFReceiver.columns).enumerated() {
            var d = goertzel_descriptor_t()
            make_goertzel_descriptor(&d, f, Int32(DTMFReceiver.blockLength))
            c[i] = d.fac
        }
        coefficient = c
        let n = Float(DTMFReceiver.blockLength)
        let floorAmplitude = DTMFReceiver.zeroDBm0 * powf(10, (Float(profile.minimumLevel) - 9) / 20)
        floorPower = DTMFReceiver.power(amplitude: floorAmplitude, n)
        looseNormal = powf(10, -(limits.normalTwist + 4) / 10)
        looseReverse = powf(10, (limits.reverseTwist + 4) / 10)
        tracker = DTMFTracker(limits: limits, blockLength: DTMFReceiver.blockLength)
        block = .allocate(capacity: DTMFReceiver.blockLength)
        scratch = .allocate(capacity: frameBytes)
        found = .allocate(capacity: DTMFReceiver.toneCapacity)
        sides = .allocate(capacity: 16)
        for (i, f) in (DTMFReceiver.rows + DTMFReceiver.columns).enumerated() {
            make_goertzel_descriptor(sides + 2 * i, f - DTMFOffsetTable.side, Int32(DTMFReceiver.blockLength))
            make_goertzel_descriptor(sides + 2 * i + 1, f + DTMFOffsetTable.side, Int32(DTMFReceiver.blockLength))
        }
    }

    /// Kept for callers of the earlier API: the AT&T profile.
    public convenience init(normalTwist _: Int = 9, reverseTwist _: Int = 6) { self.init(profile: .att) }

    deinit {
        block.deallocate()
        scratch.deallocate()
        found.deallocate()
        sides.deallocate()
    }

    /// SpanDSP's Goertzel result for a sine of `amplitude` centred in an `n`-sample bin.
    static func power(amplitude: Float, _ n: Float) -> Float { 2 * (n * amplitude / 2) * (n * amplitude / 2) }

    /// Forgets any tone in progress and any digit not taken (in place, no allocation).
    public func reset() {
        v2 = .zero; v3 = .zero
        energy = 0
        filled = 0
        notch = DialToneNotch()
        tracker.reset()
        foundCount = 0
    }

    /// Feeds `count` linear samples (8 kHz).
    public func receive(_ samples: UnsafePointer<Int16>, count: Int) {
        var done = 0
        while done < count {
            let n = min(count - done, DTMFReceiver.blockLength - filled)
            accumulate(samples + done, n)
            done += n
            fed += Int64(n)
            if filled == DTMFReceiver.blockLength { endBlock() }
        }
    }

    @inline(__always)
    private func accumulate(_ samples: UnsafePointer<Int16>, _ count: Int) {
        var v2 = self.v2, v3 = self.v3, e = energy, z = notch
        let c = coefficient, out = block + filled
        for i in 0..<count {
            var x = Float(samples[i])
            if filter { x = z.filter(x, etsi: etsiNotch) }
            e += x * x
            let v1 = v2
            v2 = v3
            v3 = c * v2 - v1 + SIMD8(repeating: x)
            out[i] = x
        }
        self.v2 = v2; self.v3 = v3; energy = e; notch = z
        filled += count
    }

    /// The block is complete: its powers, the block tests, the tracker.
    private func endBlock() {
        let n = Float(DTMFReceiver.blockLength)
        let p = 2 * (v3 * v3 + v2 * v2 - coefficient * v2 * v3)  // SpanDSP's goertzel_result
        var b = DTMFBlock(powers: p)
        let start = fed - Int64(DTMFReceiver.blockLength)
        var r = 0, c = 4
        for i in 1..<4 where p[i] > p[r] { r = i }
        for i in 5..<8 where p[i] > p[c] { c = i }
        let pr = p[r], pc = p[c]
        if pr >= floorPower, pc >= floorPower,
           (pr + pc) > 0.68 * n * energy,
           pc >= pr * looseNormal, pc <= pr * looseReverse,
           DTMFReceiver.peaks(p, r, c) {
            let side = sidePowers(r, c)
            let row = measure(pr, below: side[0], above: side[1])
            let column = measure(pc, below: side[2], above: side[3])
            // Both tones near nominal, and most of the block's energy in them once
            // corrected for their offsets.
            let fr = DTMFReceiver.rows[r], fc = DTMFReceiver.columns[c - 4]
            if abs(row.offset) <= 0.03 * fr, abs(column.offset) <= 0.03 * fc,
               (row.power + column.power) > 0.8 * n * energy {
                b.quality = (row.power + column.power) / (n * energy)
                b.key = r * 4 + (c - 4)
                b.rowOffset = row.offset; b.rowAmplitude = row.amplitude
                b.columnOffset = column.offset; b.columnAmplitude = column.amplitude
            }
        }
        v2 = .zero; v3 = .zero
        energy = 0
        filled = 0
        if let tone = tracker.block(b, start: start), foundCount < DTMFReceiver.toneCapacity {
            found[foundCount] = tone
            foundCount += 1
        }
    }

    /// Each best bin at least 6 dB above the others of its group.
    @inline(__always)
    private static func peaks(_ p: SIMD8<Float>, _ r: Int, _ c: Int) -> Bool {
        for i in 0..<4 where i != r && p[i] * 4 >= p[r] { return false }
        for i in 4..<8 where i != c && p[i] * 4 >= p[c] { return false }
        return true
    }

    /// A tone's offset from nominal (Hz) and its amplitude corrected for
    /// it: the larger side bin against the nominal bin, looked up in the
    /// exact response.
    private func measure(_ center: Float, below: Float, above: Float) -> (offset: Float, amplitude: Float, power: Float) {
        let sign: Float = above >= below ? 1 : -1
        let (offset, loss) = table.offset(ratio: max(above, below) / max(center, 1))
        let power = center / max(loss, 0.3)
        return (sign * offset, (2 * power).squareRoot() / Float(DTMFReceiver.blockLength), power)
    }

    /// SpanDSP's Goertzels 28 Hz below and above row `r` and column `c`
    /// (its descriptors and result scale), run over the block as one
    /// 4-lane loop: row below, row above, column below, column above.
    private func sidePowers(_ r: Int, _ c: Int) -> SIMD4<Float> {
        let k = SIMD4<Float>(sides[2 * r].fac, sides[2 * r + 1].fac, sides[2 * c].fac, sides[2 * c + 1].fac)
        var v2 = SIMD4<Float>.zero, v3 = SIMD4<Float>.zero
        for i in 0..<DTMFReceiver.blockLength {
            let v1 = v2
            v2 = v3
            v3 = k * v2 - v1 + SIMD4(repeating: block[i])
        }
        return 2 * (v3 * v3 + v2 * v2 - k * v2 * v3)
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

    /// Moves up to `capacity` accepted tones into `buffer`, oldest first; returns how many.
    public func takeTones(into buffer: UnsafeMutablePointer<DTMFTone>, capacity: Int) -> Int {
        let n = min(capacity, foundCount)
        for k in 0..<n {
            let t = found[k]
            let age = max(0, min(Int64(UInt16.max), (fed - t.start) / 8))
            buffer[k] = DTMFTone(key: t.key, durationMs: UInt16(max(0, min(65535, t.durationMs.rounded()))),
                                 ageMs: UInt16(age))
        }
        for k in n..<foundCount { found[k - n] = found[k] }
        foundCount -= n
        return n
    }

    /// Moves up to `capacity` detected digits (ASCII) into `buffer`, oldest first; returns how many.
    public func takeDigits(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int {
        let n = min(capacity, foundCount)
        for k in 0..<n { buffer[k] = found[k].key }
        for k in n..<foundCount { found[k - n] = found[k] }
        foundCount -= n
        return n
    }

    /// The digits detected and not yet taken, as text (allocates: not for the media thread).
    public func takeDigits() -> String {
        var out = ""
        for k in 0..<foundCount { out.append(Character(UnicodeScalar(found[k].key))) }
        foundCount = 0
        return out
    }
}

/// SpanDSP's dial-tone filter (its DTMF receiver's sharp notches at 350 and
/// 440 Hz, the same coefficients), with a third at 425 Hz for European dial
/// tone on ETSI spans.
struct DialToneNotch {
    private var a1: Float = 0, a2: Float = 0, b1: Float = 0, b2: Float = 0, c1: Float = 0, c2: Float = 0

    @inline(__always)
    mutating func filter(_ x: Float, etsi: Bool) -> Float {
        var v = 0.98356 * x + 1.8954426 * a1 - 0.9691396 * a2
        var y = v - 1.9251480 * a1 + a2
        a2 = a1; a1 = v
        v = 0.98456 * y + 1.8529543 * b1 - 0.9691396 * b2
        y = v - 1.8819938 * b1 + b2
        b2 = b1; b1 = v
        if etsi {
            v = 0.98457 * y + 1.8601815 * c1 - 0.9691396 * c2
            y = v - 1.8896040 * c1 + c2
            c2 = c1; c1 = v
        }
        return y
    }
}

/// The exact response of a 102-sample Goertzel to a tone `d` Hz off its
/// bin, tabulated so that a measured ratio (the bin 28 Hz to the side over
/// the nominal bin) gives the tone's offset and the nominal bin's loss. The
/// response depends only on the offset in Hz, so one table serves all eight bins.
final class DTMFOffsetTable: Sendable {
    static let shared = DTMFOffsetTable()
    static let side: Float = 28
    static let step: Float = 0.25
    static let count = 320  // 0 … 80 Hz
    /// ratio(side bin / nominal bin), rising with the offset, and the nominal bin's loss.
    private let ratios: [Float]
    private let losses: [Float]

    init() {
        func kernel(_ d: Double) -> Double {
            let n = Double(DTMFReceiver.blockLength)
            if abs(d) < 1e-9 { return 1 }
            let v = sin(Double.pi * n * d / 8000) / (n * sin(Double.pi * d / 8000))
            return v * v
        }
        var ratio: [Float] = [], loss: [Float] = []
        for k in 0..<DTMFOffsetTable.count {
            let d = Double(k) * Double(DTMFOffsetTable.step)
            let p0 = kernel(d)
            ratio.append(Float(kernel(d - Double(DTMFOffsetTable.side)) / max(p0, 1e-30)))
            loss.append(Float(p0))
        }
        ratios = ratio
        losses = loss
    }

    /// The offset (Hz, ≥ 0) whose side/nominal ratio first reaches `ratio`, and the nominal bin's loss there.
    func offset(ratio: Float) -> (Float, Float) {
        var lo = 0, hi = ratios.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if ratios[mid] < ratio { lo = mid + 1 } else { hi = mid }
        }
        return (Float(lo) * DTMFOffsetTable.step, losses[lo])
    }
}

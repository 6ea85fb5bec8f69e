// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans
import Foundation

/// Which of a set of frequencies are present in a signal: one SpanDSP
/// Goertzel filter per frequency, evaluated every `blockSize` samples, each
/// result compared with the power a sine at `minimumLevel` dBm0 gives.
///
/// Several tones summed (a conference mix) are told apart when they are
/// whole multiples of the block's resolution (8000 / `blockSize` Hz: 50 Hz
/// for the default 160 samples, one G.711 frame) at least two of them apart:
/// each filter then sees none of the others' energy. 500, 700, 1100 and
/// 1300 Hz are such a set. A tone off that grid within about 100 Hz of a
/// probed frequency falls in its filter's main lobe and counts as it (DTMF's
/// 1336 Hz as 1300 Hz): the probe tells known tones apart, it is no analyser.
///
/// Allocation only in `init`; feeding neither allocates nor locks. One owner at a time.
public final class ToneProbe: @unchecked Sendable {
    public let frequencies: [Int]
    public let blockSize: Int
    public let minimumLevel: Double
    private let descriptors: UnsafeMutablePointer<goertzel_descriptor_t>
    private let filters: UnsafeMutablePointer<goertzel_state_t>
    private let lastPower: UnsafeMutablePointer<Float>
    private let presentBlocks: UnsafeMutablePointer<Int>
    private let scratch: UnsafeMutablePointer<Int16>
    private let tables = G711Tables.shared
    private let threshold: Float
    private var filled = 0
    /// Complete blocks since the probe was made or reset.
    public private(set) var blocks = 0

    public init(frequencies: [Int], blockSize: Int = 160, minimumLevel: Double = -32) {
        precondition(!frequencies.isEmpty && blockSize > 0)
        self.frequencies = frequencies
        self.blockSize = blockSize
        self.minimumLevel = minimumLevel
        threshold = Float(ToneProbe.power(level: minimumLevel, blockSize: blockSize))
        let n = frequencies.count
        descriptors = .allocate(capacity: n)
        filters = .allocate(capacity: n)
        lastPower = .allocate(capacity: n)
        presentBlocks = .allocate(capacity: n)
        scratch = .allocate(capacity: frameBytes)
        for (i, f) in frequencies.enumerated() {
            (descriptors + i).initialize(to: goertzel_descriptor_t())
            make_goertzel_descriptor(descriptors + i, Float(f), Int32(blockSize))
            (filters + i).initialize(to: goertzel_state_t())
        }
        reset()
    }

    deinit {
        descriptors.deallocate()
        filters.deallocate()
        lastPower.deallocate()
        presentBlocks.deallocate()
        scratch.deallocate()
    }

    /// The Goertzel result of a sine at `level` dBm0 in the centre of its bin
    /// (SpanDSP's floating-point scale, `goertzel_result` in tone_detect.h).
    static func power(level: Double, blockSize: Int) -> Double {
        let amplitude = Double(blockSize) * 32768 / 1.4142 * pow(10, (level - 3.14) / 20)
        return amplitude * amplitude
    }

    /// Starts afresh: no partial block, no counts.
    public func reset() {
        for i in 0..<frequencies.count {
            _ = goertzel_init(filters + i, descriptors + i)
            lastPower[i] = 0
            presentBlocks[i] = 0
        }
        filled = 0
        blocks = 0
    }

    /// Feeds `count` linear samples (8 kHz).
    public func feed(_ samples: UnsafePointer<Int16>, count: Int) {
        var done = 0
        while done < count {
            let n = min(blockSize - filled, count - done)
            for i in 0..<frequencies.count { _ = goertzel_update(filters + i, samples + done, Int32(n)) }
            filled += n
            done += n
            if filled == blockSize { endBlock() }
        }
    }

    /// Feeds G.711 bytes of `law`.
    public func feed(g711 bytes: UnsafeRawBufferPointer, law: G711Law) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var done = 0
        while done < bytes.count {
            let n = min(frameBytes, bytes.count - done)
            tables.decode(base + done, count: n, law, into: scratch)
            feed(scratch, count: n)
            done += n
        }
    }

    private func endBlock() {
        for i in 0..<frequencies.count {
            let p = goertzel_result(filters + i)  // resets the filter for the next block
            lastPower[i] = p
            if p >= threshold { presentBlocks[i] += 1 }
        }
        filled = 0
        blocks += 1
    }

    /// Frequency `index`'s level in the last complete block, in dBm0 (−∞ for none).
    public func level(at index: Int) -> Double {
        let p = Double(lastPower[index])
        guard p > 0 else { return -.infinity }
        return minimumLevel + 10 * log10(p / Double(threshold))
    }

    /// Whether frequency `index` was at or above `minimumLevel` in the last complete block.
    public func isPresent(at index: Int) -> Bool { lastPower[index] >= threshold }

    /// Complete blocks since the last reset in which frequency `index` was present.
    public func presentCount(at index: Int) -> Int { presentBlocks[index] }

    /// The frequencies present in at least `fraction` of the complete blocks
    /// since the last reset (none before the first block).
    public func heard(fraction: Double = 0.5) -> Set<Int> {
        guard blocks > 0 else { return [] }
        var out = Set<Int>()
        for (i, f) in frequencies.enumerated() where Double(presentBlocks[i]) >= fraction * Double(blocks) { out.insert(f) }
        return out
    }

    /// Which of `frequencies` `audio` (G.711 of `law`) carries in at least half its blocks (allocates).
    public static func heard(in audio: [UInt8], law: G711Law, among frequencies: [Int],
                             minimumLevel: Double = -32, blockSize: Int = 160) -> Set<Int> {
        let probe = ToneProbe(frequencies: frequencies, blockSize: blockSize, minimumLevel: minimumLevel)
        audio.withUnsafeBytes { probe.feed(g711: $0, law: law) }
        return probe.heard()
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// Transmit source: a call progress tone (a ``ToneGenerator`` per channel,
/// allocated with the engine; the descriptors are the span's ``ToneSet``,
/// built once). Plays until stopped, replaced or the channel is routed.
struct TonePlayer: MediaStage {
    let generator: ToneGenerator
    private(set) var isActive = false

    init() { generator = ToneGenerator() }

    mutating func start(_ descriptor: ToneDescriptor) {
        generator.start(descriptor)
        isActive = true
    }

    mutating func stop() { isActive = false }

    /// One frame of the tone in `law` (cadence gaps are idle).
    @inline(__always)
    func fill(_ out: UnsafeMutablePointer<UInt8>, law: G711Law, scratch: UnsafeMutablePointer<Int16>, tables: G711Tables) {
        _ = generator.generate(into: scratch, count: frameBytes)
        tables.encode(scratch, count: frameBytes, law, into: out)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans

/// A tone as SpanDSP's generator plays it: one or two frequencies at a level
/// and a cadence, prepared once (`tone_gen_descriptor_init`) and started on
/// any number of ``ToneGenerator``s without allocating.
public final class ToneDescriptor: @unchecked Sendable {
    let pointer: OpaquePointer  // tone_gen_descriptor_t
    public let spec: ToneSet.Spec

    /// `spec.cadence` is ms on, off, on, off; (0, 0, 0, 0) is a continuous tone.
    public init(_ spec: ToneSet.Spec) {
        self.spec = spec
        pointer = ToneDescriptor.allocate()
        ToneDescriptor.fill(pointer, spec)
    }

    static func allocate() -> OpaquePointer {
        OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: CSpanDSP_tone_gen_descriptor_size(), alignment: 16))
    }

    /// Writes `spec` into a descriptor (in place: no allocation).
    static func fill(_ pointer: OpaquePointer, _ spec: ToneSet.Spec) {
        let level = Int32(spec.level)
        if spec.cadence.0 == 0 {
            // Continuous: SpanDSP's generator ends at a zero-length section, so
            // a steady tone is one long "on" section repeated (phase continuous).
            _ = tone_gen_descriptor_init(pointer, Int32(spec.f1), level, Int32(spec.f2), level, 10_000, 0, 0, 0, 1)
        } else {
            let c = spec.cadence
            _ = tone_gen_descriptor_init(pointer, Int32(spec.f1), level, Int32(spec.f2), level,
                                         Int32(c.0), Int32(c.1), Int32(c.2), Int32(c.3), 1)
        }
    }

    /// A steady sine of `hz` at `level` dBm0.
    public convenience init(hz: Int, level: Int) {
        self.init(ToneSet.Spec(f1: hz, f2: 0, level: level, cadence: (0, 0, 0, 0)))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// SpanDSP's tone generator: plays a ``ToneDescriptor`` (cadenced tones
/// repeat) until stopped or started with another.
///
/// Allocation only in `init`; ``start(_:)`` re-initialises the state in
/// place (the descriptor is copied), ``generate(into:count:)`` neither
/// allocates nor locks. One owner at a time.
public final class ToneGenerator: @unchecked Sendable {
    private let state: OpaquePointer  // tone_gen_state_t
    private let own: OpaquePointer    // tone_gen_descriptor_t for start(spec)
    private let scratch: UnsafeMutablePointer<Int16>
    private let tables = G711Tables.shared
    public private(set) var isPlaying = false

    public init() {
        state = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: CSpanDSP_tone_gen_state_size(), alignment: 16))
        own = ToneDescriptor.allocate()
        scratch = .allocate(capacity: frameBytes)
    }

    /// A generator already playing `descriptor`.
    public convenience init(_ descriptor: ToneDescriptor) {
        self.init()
        start(descriptor)
    }

    deinit {
        UnsafeMutableRawPointer(state).deallocate()
        UnsafeMutableRawPointer(own).deallocate()
        scratch.deallocate()
    }

    /// Starts a tone given by its numbers (prepared in the generator's own
    /// descriptor: no allocation, but SpanDSP computes the phase rates and
    /// gains; a ``ToneDescriptor`` played often is cheaper).
    public func start(_ spec: ToneSet.Spec) {
        ToneDescriptor.fill(own, spec)
        _ = tone_gen_init(state, own)
        isPlaying = true
    }

    /// Starts `descriptor` from its beginning (in place, no allocation).
    @inline(__always)
    public func start(_ descriptor: ToneDescriptor) {
        _ = tone_gen_init(state, descriptor.pointer)
        isPlaying = true
    }

    public func stop() { isPlaying = false }

    /// Up to `count` linear samples; silence (0) while stopped. Returns
    /// `count` (a cadence's silent sections are zeros).
    @inline(__always)
    public func generate(into samples: UnsafeMutablePointer<Int16>, count: Int) -> Int {
        var n = isPlaying ? max(0, Int(tone_gen(state, samples, Int32(count)))) : 0
        if n < count {
            // Only a tone without a repeat ends; what is left of the frame is silence.
            (samples + n).initialize(repeating: 0, count: count - n)
            if isPlaying { isPlaying = false }
            n = count
        }
        return n
    }

    /// Writes `buffer.count` bytes of the tone in `law`.
    @inline(__always)
    public func generate(g711 buffer: UnsafeMutableRawBufferPointer, law: G711Law) {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var done = 0
        while done < buffer.count {
            let n = min(frameBytes, buffer.count - done)
            _ = generate(into: scratch, count: n)
            tables.encode(scratch, count: n, law, into: base + done)
            done += n
        }
    }

    /// Adds the tone to the G.711 audio in `buffer` (saturating), as a party
    /// talking over what it already sends.
    public func add(to buffer: UnsafeMutableRawBufferPointer, law: G711Law) {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var done = 0
        while done < buffer.count {
            let n = min(frameBytes, buffer.count - done)
            _ = generate(into: scratch, count: n)
            for k in 0..<n {
                let mixed = Int32(tables.linear(base[done + k], law)) + Int32(scratch[k])
                base[done + k] = tables.encode(Int16(clamping: mixed), law)
            }
            done += n
        }
    }

    /// `ms` of a steady sine of `hz` at `level` dBm0 as G.711 bytes of `law` (allocates).
    public static func g711(hz: Int, level: Int, ms: Int, law: G711Law) -> [UInt8] {
        let generator = ToneGenerator(ToneDescriptor(hz: hz, level: level))
        var out = [UInt8](repeating: law.idleByte, count: ms * 8)
        out.withUnsafeMutableBytes { generator.generate(g711: $0, law: law) }
        return out
    }
}

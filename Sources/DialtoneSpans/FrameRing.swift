// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// A single-producer/single-consumer ring of fixed-size frames. Storage is
/// allocated once; `push` and `pop` copy bytes and never allocate or lock.
/// It holds `capacity` frames (one spare slot tells full from empty).
public final class FrameRing: @unchecked Sendable {
    public let capacity: Int
    public let frameSize: Int
    private let slots: Int
    private let storage: UnsafeMutableRawBufferPointer
    private let head = Atomic<Int>(0)  // next slot to read (consumer-owned)
    private let tail = Atomic<Int>(0)  // next slot to write (producer-owned)
    private let overruns = Atomic<Int>(0)

    public init(capacity: Int, frameSize: Int = frameBytes) {
        precondition(capacity > 0 && frameSize > 0)
        self.capacity = capacity
        self.frameSize = frameSize
        slots = capacity + 1
        storage = .allocate(byteCount: slots * frameSize, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { storage.deallocate() }

    /// Frames waiting to be read.
    public var count: Int {
        let t = tail.load(ordering: .acquiring)
        let h = head.load(ordering: .acquiring)
        return (t - h + slots) % slots
    }

    /// Frames dropped because the ring was full.
    public var overrunCount: Int { overruns.load(ordering: .relaxed) }

    /// Starts counting overruns afresh (when the ring is reused).
    public func resetOverruns() { overruns.store(0, ordering: .relaxed) }

    /// Appends one frame (`bytes.count` ≤ frameSize, the rest left as is). Returns false when full.
    @discardableResult
    public func push(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let next = (t + 1) % slots
        if next == head.load(ordering: .acquiring) {
            overruns.add(1, ordering: .relaxed)
            return false
        }
        let slot = UnsafeMutableRawBufferPointer(rebasing: storage[(t * frameSize)..<(t * frameSize + frameSize)])
        let n = min(bytes.count, frameSize)
        if n > 0 { slot.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: n) }
        tail.store(next, ordering: .releasing)
        return true
    }

    /// Appends one frame filled with `byte`. Returns false when full.
    @discardableResult
    public func push(repeating byte: UInt8) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let next = (t + 1) % slots
        if next == head.load(ordering: .acquiring) {
            overruns.add(1, ordering: .relaxed)
            return false
        }
        storage.baseAddress!.advanced(by: t * frameSize).initializeMemory(as: UInt8.self, repeating: byte, count: frameSize)
        tail.store(next, ordering: .releasing)
        return true
    }

    /// Removes the oldest frame into `buffer`; returns bytes copied, 0 when empty.
    public func pop(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let h = head.load(ordering: .relaxed)
        if h == tail.load(ordering: .acquiring) { return 0 }
        let n = min(buffer.count, frameSize)
        buffer.baseAddress!.copyMemory(from: storage.baseAddress!.advanced(by: h * frameSize), byteCount: n)
        head.store((h + 1) % slots, ordering: .releasing)
        return n
    }

    /// Moves one frame from this ring into `other` without an intermediate copy.
    /// Returns false when this ring is empty, or when `other` is full: then the
    /// frame is dropped (counted as an overrun of `other`), as a line drops
    /// what a receiver that is not reading cannot hold.
    public func move(to other: FrameRing) -> Bool {
        let h = head.load(ordering: .relaxed)
        if h == tail.load(ordering: .acquiring) { return false }
        let ok = other.push(UnsafeRawBufferPointer(rebasing: storage[(h * frameSize)..<(h * frameSize + frameSize)]))
        head.store((h + 1) % slots, ordering: .releasing)
        return ok
    }

    /// Drops everything waiting (consumer side).
    public func drain() {
        head.store(tail.load(ordering: .acquiring), ordering: .releasing)
    }
}

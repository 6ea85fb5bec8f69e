// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// Receive stage 2 on a channel: which recording tap (a ``RecordingWriter``
/// slot) its received frames go to, and as which party.
struct TapPoint: MediaStage {
    private(set) var slot = -1
    private(set) var side = 0
    var isActive: Bool { slot >= 0 }

    mutating func start(slot: Int, side: Int) {
        self.slot = slot
        self.side = side
    }

    mutating func stop() { slot = -1 }
}

/// The engine's recording taps: per writer slot, the frames each of the two
/// parties sent, aligned into ticks for the writer. Buffers are allocated
/// with the engine; pushing and flushing neither allocate nor lock.
struct RecordingTaps {
    private struct Tap {
        var active = false
        var first = MediaEngine.Endpoint(span: 0, channel: 0)
        var second: MediaEngine.Endpoint? = nil
        var firstIdle: UInt8 = 0xD5
        var secondIdle: UInt8 = 0xD5
        /// Frames queued per party, up to `depth` each.
        var firstQueued = 0
        var secondQueued = 0
        var twoParties: Bool { second != nil }
        subscript(queued side: Int) -> Int {
            get { side == 0 ? firstQueued : secondQueued }
            set { if side == 0 { firstQueued = newValue } else { secondQueued = newValue } }
        }
        func idle(_ side: Int) -> UInt8 { side == 0 ? firstIdle : secondIdle }
    }

    /// Frames a tap holds per party while the other party's frame is late:
    /// the two parties stay aligned when one side's frames arrive in bursts
    /// (a late far end catching up), and nothing is overwritten.
    static let depth = 4
    let count: Int
    private let taps: UnsafeMutablePointer<Tap>
    private let frames: UnsafeMutableRawBufferPointer  // [slot × 2 parties × depth frames]
    private let pair: UnsafeMutableRawBufferPointer    // one tick for the writer

    init(slots: Int) {
        count = slots
        taps = .allocate(capacity: max(1, slots))
        taps.initialize(repeating: Tap(), count: max(1, slots))
        frames = .allocate(byteCount: max(1, slots) * 2 * RecordingTaps.depth * frameBytes, alignment: 16)
        pair = .allocate(byteCount: 2 * frameBytes, alignment: 16)
    }

    func deallocate() {
        taps.deinitialize(count: max(1, count))
        taps.deallocate()
        frames.deallocate()
        pair.deallocate()
    }

    func isActive(_ slot: Int) -> Bool { slot >= 0 && slot < count && taps[slot].active }

    /// The parties of an active tap.
    func first(_ slot: Int) -> MediaEngine.Endpoint { taps[slot].first }
    func second(_ slot: Int) -> MediaEngine.Endpoint? { taps[slot].second }

    /// Starts a tap: party 0 (`first`) and, when there are two, party 1; each
    /// party's idle byte (its span's law) fills its side when it sent nothing.
    func open(_ slot: Int, first: MediaEngine.Endpoint, idle: UInt8, second: MediaEngine.Endpoint?, idle secondIdle: UInt8) {
        taps[slot] = Tap(active: true, first: first, second: second, firstIdle: idle, secondIdle: secondIdle)
    }

    /// Hands what is queued to the writer and stops the tap.
    func close(_ slot: Int, _ recorder: RecordingWriter?) {
        if let recorder { while taps[slot].firstQueued > 0 || taps[slot].secondQueued > 0 { emit(slot, recorder) } }
        taps[slot].active = false
    }

    /// Queues a frame `side` received (`count` bytes; the rest of the frame is idle).
    @inline(__always)
    func push(_ slot: Int, side: Int, _ bytes: UnsafeRawPointer, count: Int, _ recorder: RecordingWriter?) {
        if taps[slot][queued: side] == RecordingTaps.depth, let recorder {
            emit(slot, recorder)  // the other party is far behind: its side gets idle
        }
        let k = taps[slot][queued: side]
        let dst = frames.baseAddress! + ((slot * 2 + side) * RecordingTaps.depth + k) * frameBytes
        dst.copyMemory(from: bytes, byteCount: min(count, frameBytes))
        if count < frameBytes {
            (dst + count).initializeMemory(as: UInt8.self, repeating: taps[slot].idle(side), count: frameBytes - count)
        }
        taps[slot][queued: side] += 1
    }

    /// Hands each active tap's complete ticks to the writer: a pair when both
    /// parties' frames are there; a party that sent nothing for two ticks
    /// gets idle. A tick in which no frame arrived adds nothing, so the
    /// recording follows the frames received (catch-up ticks do not stretch it).
    func flush(_ recorder: RecordingWriter) {
        for r in 0..<count where taps[r].active {
            if !taps[r].twoParties {
                while taps[r].firstQueued > 0 { emit(r, recorder) }
                continue
            }
            while taps[r].firstQueued > 0 && taps[r].secondQueued > 0 { emit(r, recorder) }
            while taps[r].firstQueued >= 2 || taps[r].secondQueued >= 2 { emit(r, recorder) }
        }
    }

    /// One tick to the writer: each party's oldest queued frame, or idle.
    private func emit(_ r: Int, _ recorder: RecordingWriter) {
        for side in 0..<2 {
            let out = pair.baseAddress! + side * frameBytes
            let queue = frames.baseAddress! + (r * 2 + side) * RecordingTaps.depth * frameBytes
            let n = taps[r][queued: side]
            if n > 0 {
                out.copyMemory(from: queue, byteCount: frameBytes)
                if n > 1 { queue.copyMemory(from: queue + frameBytes, byteCount: (n - 1) * frameBytes) }
                taps[r][queued: side] -= 1
            } else {
                out.initializeMemory(as: UInt8.self, repeating: taps[r].idle(side), count: frameBytes)
            }
        }
        recorder.push(slot: r, tick: UnsafeRawBufferPointer(pair))
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later

/// Receive stage 1: in-band DTMF detection (a ``DTMFReceiver`` per channel,
/// built for its span's ``DTMFProfile`` and allocated with the engine).
/// Turned on, it starts from a clean receiver; each frame's tones become
/// `.digit` events in the order detected, each with its duration and age.
struct DTMFDetector: MediaStage {
    let receiver: DTMFReceiver
    private(set) var isActive = false

    init(profile: DTMFProfile = .att) { receiver = DTMFReceiver(profile: profile) }

    /// On: a receiver that was off starts afresh (no half-heard tone carried over).
    mutating func start() {
        if !isActive { receiver.reset() }
        isActive = true
    }

    mutating func stop() { isActive = false }

    /// Runs one received frame (linear) through the receiver; the tones it
    /// completed go to `tones` (room for ``maxDigitsPerFrame``), their count returned.
    @inline(__always)
    func receive(_ linear: UnsafePointer<Int16>, count: Int, tones: UnsafeMutablePointer<DTMFTone>) -> Int {
        receiver.receive(linear, count: count)
        return receiver.takeTones(into: tones, capacity: DTMFDetector.maxDigitsPerFrame)
    }

    /// More than any 20 ms frame can complete (a digit lasts 40 ms at least).
    static let maxDigitsPerFrame = 8
}

// SPDX-License-Identifier: GPL-2.0-or-later

/// Receive stage 1: in-band DTMF detection (a ``DTMFReceiver`` per channel,
/// allocated with the engine). Turned on, it starts from a clean receiver;
/// each frame's digits become `.digit` events in the order detected.
struct DTMFDetector: MediaStage {
    let receiver: DTMFReceiver
    private(set) var isActive = false

    init() { receiver = DTMFReceiver() }

    /// On: a receiver that was off starts afresh (no half-heard tone carried over).
    mutating func start() {
        if !isActive { receiver.reset() }
        isActive = true
    }

    mutating func stop() { isActive = false }

    /// Runs one received frame (linear) through the receiver; the digits it
    /// completed go to `digits` (room for ``maxDigitsPerFrame``), their count returned.
    @inline(__always)
    func receive(_ linear: UnsafePointer<Int16>, count: Int, digits: UnsafeMutablePointer<UInt8>) -> Int {
        receiver.receive(linear, count: count)
        return receiver.takeDigits(into: digits, capacity: DTMFDetector.maxDigitsPerFrame)
    }

    /// More than any 20 ms frame can complete (a digit lasts 40 ms at least).
    static let maxDigitsPerFrame = 8
}

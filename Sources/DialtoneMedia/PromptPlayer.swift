// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// Transmit source: a prompt of the ``PromptLibrary`` (already in the
/// channel's law: playing copies bytes). Once through, it reports its token;
/// looped (hold audio) it starts again at its end and never finishes.
struct PromptPlayer: MediaStage {
    /// The audio (owned by a library the engine keeps alive), nil when not playing.
    private var audio: UnsafePointer<UInt8>? = nil
    private var length = 0
    private var position = 0
    private(set) var token = 0
    private var loop = false

    var isActive: Bool { audio != nil }

    mutating func start(_ prompt: UnsafeBufferPointer<UInt8>, token: Int, loop: Bool) {
        audio = prompt.baseAddress
        length = prompt.count
        position = 0
        self.token = token
        self.loop = loop
    }

    mutating func stop() { audio = nil }

    /// One frame of the prompt (idle past its end). True when the prompt
    /// has just played to its end (it is then stopped; a looped one never ends).
    @inline(__always)
    mutating func fill(_ out: UnsafeMutablePointer<UInt8>, idle: UInt8) -> Bool {
        guard let audio else { return false }
        let n = min(frameBytes, length - position)
        UnsafeMutableRawPointer(out).copyMemory(from: audio + position, byteCount: n)
        if n < frameBytes { (out + n).initialize(repeating: idle, count: frameBytes - n) }
        position += n
        guard position >= length else { return false }
        if loop {
            position = 0
            return false
        }
        self.audio = nil
        return true
    }
}

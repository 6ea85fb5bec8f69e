// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// Audio that is not a prompt of the library — a message a caller left —
/// loaded once off the media thread and played like a prompt
/// (``MediaEngine/Command/playClip(_:_:token:)``): both laws are encoded
/// when it is made, so playing copies bytes. The engine keeps a reference
/// while a channel plays it; whoever made it should keep one for a while
/// after (the switch caches recent clips), so that the last release — the
/// free — is normally not the media thread's.
public final class AudioClip: @unchecked Sendable {
    private let mulaw: UnsafeMutableBufferPointer<UInt8>
    private let alaw: UnsafeMutableBufferPointer<UInt8>
    /// Length in seconds.
    public let seconds: Double

    public init(samples: [Int16]) {
        let n = max(samples.count, 1)
        mulaw = .allocate(capacity: n)
        alaw = .allocate(capacity: n)
        for i in 0..<n {
            let s = i < samples.count ? samples[i] : 0
            mulaw[i] = G711.encode(s, .mulaw)
            alaw[i] = G711.encode(s, .alaw)
        }
        seconds = Double(samples.count) / 8000
    }

    /// The first channel of a WAV file (8 kHz; a stereo recording's caller
    /// side), from `seconds` into it (a message rewound).
    public convenience init(path: String, from seconds: Double = 0) throws(WAVError) {
        let (info, data) = try WAVFile.read(path: path)
        guard info.sampleRate == 8000 else { throw WAVError(path: path, reason: "\(info.sampleRate) Hz (8000 Hz expected)") }
        let all = WAVFile.samples(of: data, info: info)
        let step = max(info.channels, 1)
        let start = min(max(0, Int(seconds * 8000)) * step, all.count)
        self.init(samples: stride(from: start, to: all.count, by: step).map { all[$0] })
    }

    deinit {
        mulaw.deallocate()
        alaw.deallocate()
    }

    /// The clip in a law (media thread: no allocation, no lock).
    @inline(__always)
    func audio(_ law: G711Law) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(law == .alaw ? alaw : mulaw) }
}

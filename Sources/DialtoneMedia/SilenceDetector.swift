// SPDX-License-Identifier: GPL-2.0-or-later

/// Receive stage 1b: silence detection (a voice mail message ends after N
/// seconds of it). Energy, not speech recognition: a frame whose mean
/// absolute sample is below ``threshold`` (about −48 dBov; line idle and
/// background hiss decode well below it) is quiet; once `limit` samples in
/// a row are quiet, `.silence` is reported once, and again only after sound
/// came back. No allocation, no lock: two counters per channel.
struct SilenceDetector: MediaStage {
    /// Mean |sample| below this is quiet.
    static let threshold = 128
    private(set) var isActive = false
    private var limit = 0
    private var quiet = 0
    private var reported = false

    /// On, reporting after `samples` quiet samples in a row (counting from now).
    mutating func start(samples: Int) {
        isActive = samples > 0
        limit = samples
        quiet = 0
        reported = false
    }

    mutating func stop() { isActive = false }

    /// One received frame (linear): true when the silence just reached the limit.
    @inline(__always)
    mutating func receive(_ linear: UnsafePointer<Int16>, count: Int) -> Bool {
        guard count > 0 else { return false }
        var sum = 0
        for i in 0..<count { sum &+= Int(linear[i].magnitude) }
        if sum >= SilenceDetector.threshold * count {
            quiet = 0
            reported = false
            return false
        }
        quiet &+= count
        if !reported && quiet >= limit {
            reported = true
            return true
        }
        return false
    }
}

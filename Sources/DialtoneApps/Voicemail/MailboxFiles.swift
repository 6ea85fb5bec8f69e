// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSwitch
import Foundation

/// A voice mail application's files: `<directory>/<mailbox>/` holds
/// `msg-<yyyyMMdd-HHmmss>-<call>-<caller>.wav` (finished messages, indexed),
/// `tmp-<call>-<caller>.wav` (a message being recorded), `rec-….wav` (a
/// greeting being recorded) and `greeting-<kind>.wav`.
///
/// A message becomes durable in this order: the writer closes the temp
/// file (header fixed, fsync); here trailing silence is trimmed, the file
/// synced, renamed to its `msg-` name and the directory synced; only then
/// is it indexed. A crash at any point leaves either a temp file (recovered
/// when it holds enough audio, else removed) or a finished file (indexed
/// by the recovery if its entry never made it) — never an entry without its file.
public struct MailboxFiles: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func mailboxDirectory(_ box: String) -> String { "\(directory)/\(box)" }

    public func tempPath(_ box: String, call: String, caller: String) -> String {
        "\(mailboxDirectory(box))/tmp-\(Self.safe(call))-\(Self.safe(caller)).wav"
    }

    public func greetingTempPath(_ box: String, call: String) -> String { "\(mailboxDirectory(box))/rec-\(Self.safe(call)).wav" }

    public func greetingPath(_ box: String, _ g: VoicemailSession.Greeting) -> String { "\(mailboxDirectory(box))/greeting-\(g.rawValue).wav" }

    /// The greetings the owner recorded.
    public func greetings(_ box: String) -> VoicemailSession.Greetings {
        var out: [VoicemailSession.Greeting: String] = [:]
        for g in VoicemailSession.Greeting.allCases where FileManager.default.fileExists(atPath: greetingPath(box, g)) {
            out[g] = greetingPath(box, g)
        }
        return VoicemailSession.Greetings(out)
    }

    /// Digits, letters, '.', '_' only (a name piece never holds a '/' or a '-').
    static func safe(_ s: String) -> String {
        let kept = s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") ? $0 : "_" }
        return kept.isEmpty ? "x" : String(kept)
    }

    static let stamp: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        f.locale = Locale(identifier: "en_US_POSIX")
        return f
    }()

    /// Makes the mailbox's directory.
    public func prepare(_ box: String) throws {
        try FileManager.default.createDirectory(atPath: mailboxDirectory(box), withIntermediateDirectories: true)
    }

    /// Trims trailing silence from a closed recording and syncs it: its
    /// length in seconds after the trim (0: no audio; the file is removed
    /// when shorter than `minimum`).
    public func trim(_ path: String, minimum: Double) -> Double {
        _ = try? WAVFile.repair(path: path)
        guard let (info, data) = try? WAVFile.read(path: path) else {
            unlink(path)
            return 0
        }
        let samples = WAVFile.samples(of: data, info: info)
        let kept = Self.voicedLength(samples, channels: max(info.channels, 1))
        let seconds = Double(kept) / Double(info.sampleRate)
        guard seconds >= minimum, seconds > 0 else {
            unlink(path)
            return seconds
        }
        let bytes = kept * info.format.bytesPerSample * info.channels
        if bytes < info.dataBytes, truncate(path, off_t(info.dataOffset + bytes)) == 0 { _ = try? WAVFile.repair(path: path) }
        Self.sync(path)
        return seconds
    }

    /// Frames up to the last 20 ms block with speech, plus 0.3 s (trailing silence trimmed).
    static func voicedLength(_ samples: [Int16], channels: Int) -> Int {
        let frames = samples.count / channels
        let block = 160, threshold = 100  // mean |sample| ≈ −50 dBov
        var end = frames / block
        while end > 0 {
            var sum = 0
            for i in ((end - 1) * block)..<(end * block) { sum += abs(Int(samples[i * channels])) }
            if sum / block >= threshold { break }
            end -= 1
        }
        guard end > 0 else { return 0 }
        return min(frames, end * block + 2400)
    }

    /// Renames a trimmed temp file to its `msg-` name and syncs the directory: the path.
    public func finalise(_ temp: String, box: String, received: Date, call: String, caller: String) -> String? {
        let path = "\(mailboxDirectory(box))/msg-\(Self.stamp.string(from: received))-\(Self.safe(call))-\(Self.safe(caller)).wav"
        guard rename(temp, path) == 0 else { return nil }
        Self.sync(mailboxDirectory(box))
        return path
    }

    /// A greeting recorded to `temp` replaces the mailbox's greeting.
    public func install(_ temp: String, box: String, as g: VoicemailSession.Greeting) -> String? {
        let path = greetingPath(box, g)
        guard rename(temp, path) == 0 else { return nil }
        Self.sync(mailboxDirectory(box))
        return path
    }

    /// (call, caller, received) from a `msg-` or `tmp-` name.
    static func parse(_ name: String) -> (call: String, caller: String, received: Date?)? {
        guard name.hasSuffix(".wav") else { return nil }
        let parts = name.dropLast(4).split(separator: "-").map(String.init)
        if parts.first == "msg", parts.count == 5 {
            return (parts[3], parts[4] == "x" ? "" : parts[4], stamp.date(from: "\(parts[1])-\(parts[2])"))
        }
        if parts.first == "tmp", parts.count == 3 { return (parts[1], parts[2] == "x" ? "" : parts[2], nil) }
        return nil
    }

    static func sync(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSpans
import Foundation

/// The DTMF talk-off corpus: speech in several languages spoken by espeak-ng
/// (`make talkoff`: `scripts/make-talkoff.sh` from `Tests/talkoff/speech.txt`
/// into `.build/talkoff/speech`) and ``TalkOffMusic``, each clip scaled to
/// the same active level (ITU-T P.56), then played as a line carries it:
/// one G.711 stream at a chosen level (``line(_:level:)``). A DTMF receiver
/// fed it must detect no digit.
public struct TalkOffCorpus: Sendable {
    public struct Clip: Sendable {
        /// The file's name (`en-long-0`) or the music piece's.
        public var name: String
        public var isMusic: Bool
        /// 8 kHz linear samples as made (espeak-ng, ``TalkOffMusic``).
        public var samples: [Int16]
        /// The gain that brings the clip's active level (P.56) to an RMS of 1.0.
        public var gain: Float
        /// Active time over the clip's length (P.56).
        public var activity: Double
        public var seconds: Double { Double(samples.count) / 8000 }
    }

    /// The corpus could not be loaded; says how to make it.
    public struct Missing: Error, CustomStringConvertible, Sendable {
        public var directory: String
        public var reason: String
        public var description: String {
            "talk-off corpus \(directory): \(reason). Make it with `make talkoff` (scripts/make-talkoff.sh: espeak-ng and sox speak Tests/talkoff/speech.txt)"
        }
    }

    public var clips: [Clip]

    /// Where `make talkoff` writes the corpus, under the package root.
    public static let relativeDirectory = ".build/talkoff"
    /// Seconds of music added to the speech by default.
    public static let defaultMusicSeconds = 240

    public var speechSeconds: Double { clips.filter { !$0.isMusic }.reduce(0) { $0 + $1.seconds } }
    public var musicSeconds: Double { clips.filter(\.isMusic).reduce(0) { $0 + $1.seconds } }
    public var seconds: Double { clips.reduce(0) { $0 + $1.seconds } }
    /// The languages of the speech clips (the names' first part: `en`, `zh` ...).
    public var languages: Set<String> {
        Set(clips.filter { !$0.isMusic }.compactMap { $0.name.split(separator: "-").first.map(String.init) })
    }

    /// Reads every `speech/*.wav` under `directory` (8 kHz mono 16-bit) and
    /// adds `musicSeconds` of ``TalkOffMusic``.
    public static func load(directory: String, musicSeconds: Int = defaultMusicSeconds) throws(Missing) -> TalkOffCorpus {
        let speech = directory + "/speech"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: speech) else {
            throw Missing(directory: directory, reason: "no directory \(speech)")
        }
        let files = names.filter { $0.hasSuffix(".wav") }.sorted()
        guard !files.isEmpty else { throw Missing(directory: directory, reason: "no .wav file in \(speech)") }
        var clips: [Clip] = []
        for file in files {
            let path = speech + "/" + file
            let info: WAVInfo, bytes: [UInt8]
            do { (info, bytes) = try WAVFile.read(path: path) } catch {
                throw Missing(directory: directory, reason: "\(error)")
            }
            guard info.format == .pcm16, info.sampleRate == 8000, info.channels == 1 else {
                throw Missing(directory: directory, reason: "\(path) is not 8 kHz mono 16-bit PCM")
            }
            let samples = [Int16](unsafeUninitializedCapacity: info.frames) { out, count in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(2 * info.frames)]))
                }
                count = info.frames
            }
            clips.append(measured(name: String(file.dropLast(4)), isMusic: false, samples))  // little-endian hosts
        }
        for piece in TalkOffMusic.generate(seconds: musicSeconds) {
            clips.append(measured(name: piece.name, isMusic: true, piece.samples))
        }
        return TalkOffCorpus(clips: clips)
    }

    /// The corpus in the package that `file` (a `#filePath`) is in, or under `DIALTONE_TALKOFF` when set.
    public static func load(besides file: String, musicSeconds: Int = defaultMusicSeconds) throws(Missing) -> TalkOffCorpus {
        if let dir = ProcessInfo.processInfo.environment["DIALTONE_TALKOFF"] { return try load(directory: dir, musicSeconds: musicSeconds) }
        var url = URL(fileURLWithPath: file).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return try load(directory: url.appendingPathComponent(relativeDirectory).path, musicSeconds: musicSeconds)
    }

    /// Music alone, as a corpus (the benchmark's music with fundamentals up to `highestHz`).
    public static func music(seconds: Int, highestHz: Double) -> TalkOffCorpus {
        TalkOffCorpus(clips: TalkOffMusic.generate(seconds: seconds, highestHz: highestHz).map { measured(name: $0.name, isMusic: true, $0.samples) })
    }

    static func measured(name: String, isMusic: Bool, _ samples: [Int16]) -> Clip {
        let level = samples.withUnsafeBufferPointer { ActiveLevel.measure($0) }
        return Clip(name: name, isMusic: isMusic, samples: samples, gain: level.rms > 0 ? Float(1 / level.rms) : 0, activity: level.activity)
    }

    /// Every clip, one after the other, at an active level of `level` dBm0 on
    /// a `law` line (clipped where the line overloads, as a hot line is).
    public func line(_ law: G711Law, level: Double) -> TalkOffLine {
        let rms = ActiveLevel.rms(dBm0: level, law)
        let encode = (0..<65536).map { G711.encode(Int16(truncatingIfNeeded: $0), law) }
        let total = clips.reduce(0) { $0 + $1.samples.count }
        var starts: [Int] = []
        let bytes = [UInt8](unsafeUninitializedCapacity: total) { out, count in
            encode.withUnsafeBufferPointer { table in
                var at = 0
                for clip in clips {
                    starts.append(at)
                    let gain = Int((Double(clip.gain) * rms * 65536).rounded())  // Q16
                    clip.samples.withUnsafeBufferPointer { s in
                        for n in 0..<s.count {
                            let v = min(32767, max(-32768, (Int(s[n]) * gain + 32768) >> 16))
                            out[at + n] = table[v & 0xFFFF]
                        }
                    }
                    at += clip.samples.count
                }
            }
            count = total
        }
        return TalkOffLine(law: law, level: level, bytes: bytes, starts: starts, names: clips.map(\.name))
    }
}

/// The corpus as one G.711 stream, and where each clip starts in it.
public struct TalkOffLine: Sendable {
    public var law: G711Law
    /// Active level of every clip, dBm0.
    public var level: Double
    public var bytes: [UInt8]
    public var starts: [Int]
    public var names: [String]
    public var seconds: Double { Double(bytes.count) / 8000 }

    /// The clip that byte `offset` is in, and the seconds into it.
    public func place(_ offset: Int) -> (clip: String, seconds: Double) {
        let i = (starts.lastIndex { $0 <= offset }) ?? 0
        return (names[i], Double(offset - starts[i]) / 8000)
    }

    /// The stream decoded to linear samples.
    public func linear() -> [Int16] { bytes.map { G711.linear($0, law) } }
}

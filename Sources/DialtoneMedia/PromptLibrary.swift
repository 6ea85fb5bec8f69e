// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation

/// Every prompt the daemon can play, loaded once at start-up from
/// `DIRECTORY/LANGUAGE/NAME.wav` (8 kHz mono PCM16, µ-law or A-law) and held
/// in both G.711 laws, so the media thread only copies bytes. Immutable once
/// built: the media thread reads it without synchronisation.
public final class PromptLibrary: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let language: String
        public let path: String
        public let info: WAVInfo
    }

    public let directory: String
    public let entries: [Entry]
    private let index: [String: Int]
    private let table: UnsafeMutablePointer<UnsafeBufferPointer<UInt8>>  // [id × 2 + (alaw ? 1 : 0)]

    public var count: Int { entries.count }
    public var languages: [String] { Array(Set(entries.map(\.language))).sorted() }

    /// Loads every `.wav` under `directory/<language>/` for each language.
    /// A file that is not a valid 8 kHz mono prompt is an error naming it.
    public init(directory: String, languages: [String]) throws(WAVError) {
        self.directory = directory
        var entries: [Entry] = []
        var audio: [(ulaw: [UInt8], alaw: [UInt8])] = []
        for language in languages {
            let dir = "\(directory)/\(language)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                throw WAVError(path: dir, reason: "no prompt set for language '\(language)' (directory missing; `make prompts` generates the default set)")
            }
            for file in names.sorted() where file.hasSuffix(".wav") {
                let path = "\(dir)/\(file)"
                let (info, data) = try PromptLibrary.validated(path)
                entries.append(Entry(name: String(file.dropLast(4)), language: language, path: path, info: info))
                audio.append((WAVFile.g711(of: data, info: info, law: .mulaw), WAVFile.g711(of: data, info: info, law: .alaw)))
            }
        }
        self.entries = entries
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() { index["\(e.language)/\(e.name)"] = i }
        self.index = index
        table = .allocate(capacity: max(1, entries.count * 2))
        for (i, a) in audio.enumerated() {
            for (k, bytes) in [a.ulaw, a.alaw].enumerated() {
                let p = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
                _ = p.initialize(from: bytes)
                table[i * 2 + k] = UnsafeBufferPointer(p)
            }
        }
    }

    deinit {
        for i in 0..<(entries.count * 2) { UnsafeMutableBufferPointer(mutating: table[i]).deallocate() }
        table.deallocate()
    }

    /// Reads and checks one prompt file: 8000 Hz, mono, PCM16/µ-law/A-law, not empty.
    public static func validated(_ path: String) throws(WAVError) -> (WAVInfo, [UInt8]) {
        let (info, data) = try WAVFile.read(path: path)
        let fix = "prompts must be 8000 Hz mono PCM16, µ-law or A-law (convert: sox IN.wav -r 8000 -c 1 -b 16 OUT.wav)"
        guard info.sampleRate == 8000 else { throw WAVError(path: path, reason: "\(info.sampleRate) Hz; \(fix)") }
        guard info.channels == 1 else { throw WAVError(path: path, reason: "\(info.channels) channels; \(fix)") }
        guard info.frames > 0 else { throw WAVError(path: path, reason: "no audio (empty data chunk)") }
        return (info, data)
    }

    /// The id of prompt `name` in `language`, nil when the set has no such prompt.
    public func id(_ name: String, language: String) -> Int? { index["\(language)/\(name)"] }

    /// A prompt's audio in a law (media thread: no allocation, no lock).
    @inline(__always)
    public func audio(_ id: Int, _ law: G711Law) -> UnsafeBufferPointer<UInt8> { table[id * 2 + (law == .alaw ? 1 : 0)] }

    /// A prompt as a caller on a span of `law` hears it, in linear samples (for correlation).
    public func linear(_ id: Int, law: G711Law) -> [Int16] { audio(id, law).map { G711.linear($0, law) } }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import DialtoneTestKit
import Foundation
import Testing

/// DTMF talk-off (issue 13, item 2): the talk-off corpus — speech in ten
/// languages spoken by espeak-ng (`make talkoff`) and synthetic music with
/// rich harmonics — played through the DTMF receiver on µ-law and A-law
/// lines at an active level of −16 dBm0 and 6 dB hotter, with the AT&T
/// profile and with the −35 dBm0 one. No digit may be reported; a digit
/// sent after the corpus must be, so that a deaf receiver cannot pass.
@Suite struct TalkOffTests {
    /// Loaded once for the suite's tests; the error says how to make the corpus.
    static let loaded = Result { () throws(TalkOffCorpus.Missing) in try TalkOffCorpus.load(besides: #filePath) }
    static let levels = [-16.0, -10.0]
    /// The corpus as each law carries it at each level.
    static let lines: [G711Law: [TalkOffLine]] = {
        guard case .success(let corpus) = loaded else { return [:] }
        return [.mulaw: levels.map { corpus.line(.mulaw, level: $0) }, .alaw: levels.map { corpus.line(.alaw, level: $0) }]
    }()

    static func corpus() throws -> TalkOffCorpus { try loaded.get() }

    @Test func corpusIsLongVariedAndAudible() throws {
        let corpus = try Self.corpus()
        #expect(corpus.speechSeconds >= 600, "speech: \(Int(corpus.speechSeconds)) s, want at least 10 min")
        #expect(corpus.musicSeconds >= 120, "music: \(Int(corpus.musicSeconds)) s")
        #expect(corpus.languages.count >= 8, "languages: \(corpus.languages.sorted())")
        for clip in corpus.clips {
            #expect(clip.seconds >= 5 && clip.activity >= 0.3, "\(clip.name): \(clip.seconds) s, active \(Int(clip.activity * 100)) %")
        }
    }

    /// The line carries each clip at the level asked for: a clip's active
    /// level (P.56) decoded from the line is within 0.5 dB of it.
    @Test(arguments: [G711Law.mulaw, .alaw])
    func lineLevel(law: G711Law) throws {
        let corpus = try Self.corpus()
        let line = try #require(Self.lines[law]?.first)
        for name in [corpus.clips.first { !$0.isMusic }!.name, corpus.clips.first(where: \.isMusic)!.name] {
            let i = try #require(line.names.firstIndex(of: name))
            let end = i + 1 < line.starts.count ? line.starts[i + 1] : line.bytes.count
            let decoded = line.bytes[line.starts[i]..<end].map { G711.linear($0, law) }
            let measured = decoded.withUnsafeBufferPointer { ActiveLevel.measure($0) }
            let dBm0 = ActiveLevel.dBm0(rms: measured.rms, law)
            #expect(abs(dBm0 - line.level) < 0.5, "\(name) on \(law): \(dBm0) dBm0, want \(line.level)")
        }
    }

    static let receivers: [(G711Law, DTMFProfile)] = [
        (.mulaw, .att), (.alaw, .att), (.mulaw, DTMFProfile(minimumLevel: -35)), (.alaw, DTMFProfile(minimumLevel: -35)),
    ]

    /// The whole corpus at each level, then three digits the receiver must
    /// report: no false digit, and the receiver still listening.
    @Test(arguments: receivers)
    func noDigitInSpeechOrMusic(law: G711Law, profile: DTMFProfile) throws {
        let corpus = try Self.corpus()
        let receiver = DTMFReceiver(profile: profile)
        for line in try #require(Self.lines[law]) {
            let found = DTMFBenchmark.talkOff(receiver, line: line)
            #expect(found.isEmpty, """
                \(found.count) false digits in \(Int(corpus.seconds)) s at \(line.level) dBm0 on \(law), profile \(profile): \
                \(found.prefix(20).map(\.description).joined(separator: "; "))
                """)
            let digits = DTMFGenerator.g711("0A#", law: law, level: -10, twist: 0, onMs: 80, offMs: 80)
                + [UInt8](repeating: G711.encode(0, law), count: 1600)
            digits.withUnsafeBytes { receiver.receive(g711: $0, law: law) }
            #expect(receiver.takeDigits() == "0A#", "the receiver missed digits sent after the corpus at \(line.level) dBm0 on \(law)")
        }
    }

    /// The benchmark's measured loop (receivers fed frame by frame, tones
    /// taken) allocates nothing, as on the media thread.
    @Test func benchmarkLoopAllocatesNothing() throws {
        let line = try #require(Self.lines[.alaw]?.first)
        let samples = line.bytes.prefix(60 * 8000).map { G711.linear($0, .alaw) }  // the first minute
        let receivers = (0..<8).map { _ in DTMFReceiver(profile: .att) }
        let tones = UnsafeMutablePointer<DTMFTone>.allocate(capacity: 16)
        defer { tones.deallocate() }
        let allocations = samples.withUnsafeBufferPointer { s in
            _ = DTMFBenchmark.feed(receivers, samples: s, frames: 10, from: 0, tones: tones)
            CAllocationCounter_start()
            _ = DTMFBenchmark.feed(receivers, samples: s, frames: 500, from: 10, tones: tones)
            return CAllocationCounter_stop()
        }
        #expect(allocations == 0)
    }
}

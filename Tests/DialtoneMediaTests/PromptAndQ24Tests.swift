// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

let repoPrompts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("prompts").path

/// Runs `frames` of far-end audio into a channel with detection on; the digits detected.
func detectedDigits(_ audio: [UInt8]) throws -> String {
    let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)  // the test moves the frames itself
    let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
    defer { link.close() }
    try link.a.start(); try link.b.start()
    let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
    engine.send(.detectDigits(.init(span: 0, channel: 1), true))
    var got = ""
    var i = 0
    let padded = audio + [UInt8](repeating: 0xD5, count: 10 * 160)
    while i < padded.count {
        let end = min(i + 160, padded.count)
        _ = padded[i..<end].withUnsafeBytes { link.b.writeFrame(channel: 1, from: $0) }
        link.clockTick()
        engine.tick()
        while let e = engine.nextEvent() { if case .digit(_, let d) = e { got.append(d.character) } }
        i = end
    }
    return got
}

/// A dual tone (A-law) at `level` dBm0 per tone (the high tone `twist` dB
/// above the low one), `ms` long, then `gap` ms of silence.
func dualTone(_ low: Double, _ high: Double, level: Double = -10, twist: Double = 0, ms: Int, gap: Int = 60) -> [UInt8] {
    let a = 32768 * pow(10, (level - 3.14) / 20)  // 0 dBm0 = 3.14 dB below A-law full scale
    let b = a * pow(10, twist / 20)
    let on = (0..<(ms * 8)).map { n -> UInt8 in
        let t = Double(n) / 8000
        return G711.encode(Int16(clamping: Int(a * sin(2 * .pi * low * t) + b * sin(2 * .pi * high * t))), .alaw)
    }
    return on + [UInt8](repeating: 0xD5, count: gap * 8)
}

/// The DTMF matrix: key → (low, high) Hz.
let dtmfKeys: [Character: (Double, Double)] = {
    let rows: [Double] = [697, 770, 852, 941], cols: [Double] = [1209, 1336, 1477, 1633]
    let keys = ["123A", "456B", "789C", "*0#D"]
    var out: [Character: (Double, Double)] = [:]
    for (r, row) in keys.enumerated() { for (c, k) in row.enumerated() { out[k] = (rows[r], cols[c]) } }
    return out
}()

@Suite(.serialized) struct Q24Tests {
    /// ITU-T Q.24: a receiver accepts tones within ±1.5 % of nominal and
    /// rejects them at ±3.5 %. Digit 5 = 770 + 1336 Hz.
    @Test(arguments: [(1.0, "5"), (1.015, "5"), (0.985, "5"), (1.035, ""), (0.965, "")])
    func frequencyTolerance(factor: Double, expected: String) throws {
        #expect(try detectedDigits(dualTone(770 * factor, 1336 * factor, ms: 60)) == expected)
    }

    /// Tones of 40 ms and more are digits; a 20 ms blip is not.
    @Test(arguments: [(60, "5"), (40, "5"), (20, "")])
    func duration(ms: Int, expected: String) throws {
        #expect(try detectedDigits(dualTone(770, 1336, ms: ms)) == expected)
    }

    /// All sixteen keys, in one burst of 50 ms tones and 50 ms pauses.
    @Test func allSixteenKeys() throws {
        let keys = "123A456B789C*0#D"
        let audio = keys.flatMap { k in dualTone(dtmfKeys[k]!.0, dtmfKeys[k]!.1, ms: 50, gap: 50) }
        #expect(try detectedDigits(audio) == keys)
    }

    /// The same key twice with a 40 ms pause is two digits; a 10 ms drop-out
    /// inside one tone is not (Q.24 interdigit pause and interruption).
    @Test func pausesAndInterruptions() throws {
        #expect(try detectedDigits(dualTone(770, 1336, ms: 50, gap: 40) + dualTone(770, 1336, ms: 50)) == "55")
        #expect(try detectedDigits(dualTone(770, 1336, ms: 50, gap: 10) + dualTone(770, 1336, ms: 50)) == "5")
    }

    /// Levels: −3 to −25 dBm0 per tone operate (the default profile); −45 dBm0 does not.
    @Test(arguments: [(-3.0, "8"), (-20, "8"), (-25, "8"), (-45, "")])
    func level(dBm0: Double, expected: String) throws {
        #expect(try detectedDigits(dualTone(852, 1336, level: dBm0, ms: 60)) == expected)
    }

    /// Twist: the high tone 4 dB louder or 8 dB softer than the low one
    /// operates; 10 dB louder or 12 dB softer does not.
    @Test(arguments: [(4.0, "9"), (-8, "9"), (10, ""), (-12, "")])
    func twist(dB: Double, expected: String) throws {
        #expect(try detectedDigits(dualTone(852, 1477, level: -15, twist: dB, ms: 60)) == expected)
    }

    /// Barge-in safety: the prompts' own speech never looks like a digit
    /// (talk-off), so a prompt heard back on the line cannot select an option.
    @Test func promptsCauseNoFalseDigits() throws {
        let library = try PromptLibrary(directory: repoPrompts, languages: ["en"])
        #expect(library.count >= 10)
        var all: [UInt8] = []
        for id in 0..<library.count { all += Array(library.audio(id, .alaw)) }
        #expect(all.count > 8000 * 30)  // over 30 s of speech
        #expect(try detectedDigits(all) == "")
        // Loud (+6 dB hotter than recorded) speech too.
        let hot = all.map { G711.encode(Int16(clamping: Int(G711.linear($0, .alaw)) * 2), .alaw) }
        #expect(try detectedDigits(hot) == "")
    }
}

@Suite(.serialized) struct PromptPlaybackTests {
    /// A prompt reaches the far end byte for byte, once, then `.promptFinished`.
    @Test(arguments: [SpanType.e1, .t1])
    func playsAPromptExactly(type: SpanType) throws {
        let library = try PromptLibrary(directory: repoPrompts, languages: ["en"])
        let id = try #require(library.id("goodbye", language: "en"))
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: type, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"), prompts: library)
        let ep = MediaEngine.Endpoint(span: 0, channel: 3)
        engine.send(.playPrompt(ep, prompt: id, token: 42))
        let expected = Array(library.audio(id, link.a.law))
        var heard: [UInt8] = []
        var finished: [Int] = []
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: 160, alignment: 16)
        defer { frame.deallocate() }
        for _ in 0..<(expected.count / 160 + 20) {
            engine.tick()
            link.clockTick()
            while true {
                let n = link.b.readFrame(channel: 3, into: frame)
                if n == 0 { break }
                heard += frame[0..<n]
            }
            while let e = engine.nextEvent() { if case .promptFinished(let at, let t) = e, at == ep { finished.append(t) } }
        }
        #expect(finished == [42])
        // The prompt as sent from its first non-idle byte, against the same stretch received.
        let e0 = try #require(expected.firstIndex { $0 != link.a.law.idleByte })
        let h0 = try #require(heard.firstIndex { $0 != link.a.law.idleByte })
        let want = Array(expected[e0...])
        let got = Array(heard[h0..<min(heard.count, h0 + want.count)])
        let same = got == want
        #expect(same, "\(got.count) of \(want.count) bytes received; first difference at \(zip(got, want).enumerated().first { $0.1.0 != $0.1.1 }?.offset ?? -1)")
    }

    /// Stopping a prompt (barge-in) ends it at once, with no finished event.
    @Test func stopPromptIsSilentAndImmediate() throws {
        let library = try PromptLibrary(directory: repoPrompts, languages: ["en"])
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"), prompts: library)
        let ep = MediaEngine.Endpoint(span: 0, channel: 3)
        engine.send(.playPrompt(ep, prompt: library.id("welcome", language: "en")!, token: 1))
        for _ in 0..<10 { engine.tick() }
        engine.send(.stopPrompt(ep))
        for _ in 0..<500 { engine.tick() }
        var events = 0
        while engine.nextEvent() != nil { events += 1 }
        #expect(events == 0)
    }

    /// The tick allocates nothing while prompts play and recordings tap bridges.
    @Test func promptsAndTapsDoNotAllocate() throws {
        let library = try PromptLibrary(directory: repoPrompts, languages: ["en"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-tap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let a = try VirtualLink(a: "a", b: "a-far", type: .e1, clock: clock)
        defer { a.close() }
        try a.a.start(); try a.b.start()
        let recorder = RecordingWriter(logger: Logger(label: "test"), slots: 8, ringFrames: 200)
        let engine = MediaEngine(spans: [a.a], clock: clock, logger: Logger(label: "test"), prompts: library, recorder: recorder)
        for ch in 1...4 {
            engine.send(.bridge(id: ch, .init(span: 0, channel: ch), .init(span: 0, channel: ch + 4)))
            let slot = try recorder.open(path: "\(dir)/\(ch).wav", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
            engine.send(.record(slot: slot, first: .init(span: 0, channel: ch), second: .init(span: 0, channel: ch + 4)))
        }
        for ch in 17...25 { engine.send(.playPrompt(.init(span: 0, channel: ch), prompt: ch % library.count, token: ch)) }
        for _ in 0..<5 { engine.tick() }
        let frame = [UInt8](repeating: 0x55, count: 160)
        var allocations = 0
        for _ in 0..<50 {
            for ch in 1...8 { _ = frame.withUnsafeBytes { a.b.writeFrame(channel: ch, from: $0) } }
            a.clockTick()
            CAllocationCounter_start()
            engine.tick()
            allocations += CAllocationCounter_stop()
        }
        #expect(allocations == 0)
        for slot in 0..<4 { engine.send(.stopRecording(slot: slot)) }
        engine.tick()
        var stopped = 0
        while let e = engine.nextEvent() { if case .recordingStopped = e { stopped += 1 } }
        #expect(stopped == 4)
        let result = try #require(recorder.close(slot: 0))
        #expect(result.frames >= 50)  // the taps delivered every counted tick
    }
}

@Suite struct ToneSetTests {
    /// The far end's audio while a tone plays, 100 ms windows of linear samples.
    func capture(_ set: ToneSet, _ tone: Tone, seconds: Int) throws -> [[Double]] {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"), toneSets: [set])
        engine.send(.playTone(.init(span: 0, channel: 1), tone))
        var heard: [Double] = []
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: 160, alignment: 16)
        defer { frame.deallocate() }
        for _ in 0..<(seconds * 50 + 5) {
            engine.tick()
            link.clockTick()
            while link.b.readFrame(channel: 1, into: frame) > 0 { heard += frame.map { Double(G711.linear($0, .alaw)) } }
        }
        let start = try #require(heard.firstIndex { abs($0) > 100 })
        let audio = Array(heard[start...])
        return stride(from: 0, to: audio.count - 800, by: 800).map { Array(audio[$0..<($0 + 800)]) }
    }

    /// UK ringback: 400+450 Hz, 0.4 s on, 0.2 off, 0.4 on, 2 s off.
    @Test func ukRingbackFrequenciesAndCadence() throws {
        let windows = try capture(.unitedKingdom, .ringback, seconds: 4)
        let on = windows[0] + windows[1] + windows[2]  // 0–300 ms
        #expect(MediaEngineTests.power(on, 400) > 100 * MediaEngineTests.power(on, 425))
        #expect(MediaEngineTests.power(on, 450) > 100 * MediaEngineTests.power(on, 425))
        let energy = windows.map { w in w.reduce(0) { $0 + $1 * $1 } / Double(w.count) }
        let loud = energy.map { $0 > 10_000 }
        // 100 ms windows: on×4, off×2, on×4, off×20, then again.
        #expect(Array(loud[0..<4]) == [true, true, true, true])
        #expect(Array(loud[4..<6]) == [false, false])
        #expect(Array(loud[6..<10]) == [true, true, true, true])
        #expect(loud[10..<30].allSatisfy { !$0 })
        #expect(loud[30])
    }

    @Test func specsParse() {
        let s = ToneSet.parseSpec("400+450@-19/400,200,400,2000")
        #expect(s == ToneSet.Spec(f1: 400, f2: 450, level: -19, cadence: (400, 200, 400, 2000)))
        #expect(ToneSet.parseSpec("425") == ToneSet.Spec(f1: 425, f2: 0, level: -10, cadence: (0, 0, 0, 0)))
        for bad in ["", "425/1000", "425/1,2,3", "9000", "425@5", "x+y"] { #expect(ToneSet.parseSpec(bad) == nil, "\(bad)") }
    }
}

@Suite struct ConferenceTests {
    /// Three parties with their own tones: each hears the other two and not
    /// itself; after one leaves, the rest hear only each other. No allocation.
    @Test func eachMemberHearsTheOthers() throws {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let e1 = try VirtualLink(a: "e1", b: "e1-far", type: .e1, clock: clock)
        let t1 = try VirtualLink(a: "t1", b: "t1-far", type: .t1, clock: clock)  // µ-law member: law conversion in the mix
        defer { e1.close(); t1.close() }
        for s in [e1.a, e1.b, t1.a, t1.b] { try s.start() }
        let engine = MediaEngine(spans: [e1.a, t1.a], clock: clock, logger: Logger(label: "test"))
        let members: [(MediaEngine.Endpoint, VirtualSpan, Double, G711Law)] = [
            (.init(span: 0, channel: 1), e1.b, 500, .alaw), (.init(span: 0, channel: 2), e1.b, 1000, .alaw),
            (.init(span: 1, channel: 3), t1.b, 1500, .mulaw),
        ]
        for m in members { engine.send(.joinConference(7, m.0)) }
        var heard: [[Double]] = [[], [], []]
        var allocations = 0
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: 160, alignment: 16)
        defer { frame.deallocate() }
        func run(_ ticks: Int, members active: [Int], start: Int) {
            for t in start..<(start + ticks) {
                for i in active {
                    let m = members[i]
                    let bytes = (0..<160).map { k in G711.encode(Int16(6000 * sin(2 * .pi * m.2 * Double(t * 160 + k) / 8000)), m.3) }
                    _ = bytes.withUnsafeBytes { m.1.writeFrame(channel: m.0.channel, from: $0) }
                }
                e1.clockTick(); t1.clockTick()
                CAllocationCounter_start()
                engine.tick()
                allocations += CAllocationCounter_stop()
                e1.clockTick(); t1.clockTick()
                for i in 0..<3 {
                    let m = members[i]
                    while m.1.readFrame(channel: m.0.channel, into: frame) > 0 { heard[i] += frame.map { Double(G711.linear($0, m.3)) } }
                }
            }
        }
        run(60, members: [0, 1, 2], start: 0)
        for i in 0..<3 {
            let tail = Array(heard[i].suffix(4000))
            let p = [500.0, 1000, 1500].map { MediaEngineTests.power(tail, $0) }
            for j in 0..<3 where j != i { #expect(p[j] > 1000 * p[i], "member \(i) hears \(j) loud and itself not: \(p)") }
        }
        engine.send(.leaveConference(7, members[2].0))
        heard = [[], [], []]
        run(60, members: [0, 1], start: 60)
        let tail = Array(heard[0].suffix(4000))
        #expect(MediaEngineTests.power(tail, 1000) > 1000 * MediaEngineTests.power(tail, 1500))
        #expect(allocations == 0)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import CAllocationCounter
import DialtoneMedia
import DialtoneSpans
import Foundation
import Logging
import Testing

/// Every stage of the per-channel pipeline at once, and pipelines rebuilt by
/// commands inside the counted ticks: nothing allocates.
@Suite(.serialized) struct ChannelPipelineTests {
    final class FarEnd {
        let span: VirtualSpan, channel: Int, law: G711Law
        let dtmf: DTMFGenerator?
        let tone: ToneGenerator?
        init(_ span: VirtualSpan, _ channel: Int, digits: String? = nil, hz: Int? = nil) {
            self.span = span
            self.channel = channel
            law = span.law
            dtmf = digits.map { d in
                let g = DTMFGenerator(level: -12, onMs: 60, offMs: 60)
                g.queue(d)
                return g
            }
            tone = hz.map { ToneGenerator(ToneDescriptor(hz: $0, level: -13)) }
        }
        /// One frame toward the engine.
        func send(_ frame: UnsafeMutableRawBufferPointer) {
            frame.initializeMemory(as: UInt8.self, repeating: law.idleByte)
            if let dtmf { _ = dtmf.generate(g711: frame, law: law) }
            if let tone { tone.generate(g711: frame, law: law) }
            _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(frame))
        }
        /// Everything the engine sent.
        func drain(_ frame: UnsafeMutableRawBufferPointer, into heard: inout [UInt8]) {
            while true {
                let n = span.readFrame(channel: channel, into: frame)
                if n == 0 { break }
                heard += frame[0..<n]
            }
        }
    }

    @Test func everyStageAndEveryRebuildAllocatesNothing() throws {
        let library = try PromptLibrary(directory: repoPrompts, languages: ["en"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-pipeline-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let e1 = try VirtualLink(a: "e1", b: "e1-far", type: .e1, clock: clock)
        let t1 = try VirtualLink(a: "t1", b: "t1-far", type: .t1, clock: clock)
        defer { e1.close(); t1.close() }
        for s in [e1.a, e1.b, t1.a, t1.b] { try s.start() }
        let recorder = RecordingWriter(logger: Logger(label: "test"), slots: 4, ringFrames: 400)
        recorder.start()
        defer { recorder.stop() }
        let engine = MediaEngine(spans: [e1.a, t1.a], clock: clock, logger: Logger(label: "test"), prompts: library, recorder: recorder)
        func ep(_ span: Int, _ ch: Int) -> MediaEngine.Endpoint { .init(span: span, channel: ch) }
        let bridgeSlot = try recorder.open(path: "\(dir)/bridge.wav", format: .pcm16, layout: .stereo, laws: (.alaw, .mulaw))
        let confSlot = try recorder.open(path: "\(dir)/conf.wav", format: .pcm16, layout: .stereo, laws: (.alaw, .alaw))
        // A bridge across laws, detected and recorded on both sides.
        engine.send(.bridge(id: 1, ep(0, 1), ep(1, 1)))
        engine.send(.detectDigits(ep(0, 1), true))
        engine.send(.detectDigits(ep(1, 1), true))
        engine.send(.record(slot: bridgeSlot, first: ep(0, 1), second: ep(1, 1)))
        // A three-party conference across laws; one member detects, two are recorded.
        for e in [ep(0, 5), ep(0, 6), ep(1, 7)] { engine.send(.joinConference(3, e)) }
        engine.send(.detectDigits(ep(0, 5), true))
        engine.send(.record(slot: confSlot, first: ep(0, 5), second: ep(0, 6)))
        // Hold audio and a tone.
        engine.send(.playPrompt(ep(0, 10), prompt: 0, token: 10, loop: true))
        engine.send(.playTone(ep(1, 12), .busy))
        // Fax: tone detection on the channel playing hold audio (its far end
        // sends CNG's 1100 Hz), and a T.30 terminal answering on another.
        engine.send(.detectFaxTones(ep(0, 10), true))
        let faxIn = try FaxSession(role: .answering, direction: .receive("\(dir)/fax-in.tif"))
        let faxLate = try FaxSession(role: .answering, direction: .receive("\(dir)/fax-late.tif"))
        engine.send(.startFax(ep(0, 20), faxIn))
        // Silence detection: the busy-tone channel's far end sends idle (quiet), the bridged T1 party a tone.
        engine.send(.detectSilence(ep(1, 12), samples: 8000))
        engine.send(.detectSilence(ep(1, 1), samples: 8000))
        let far = [FarEnd(e1.b, 1, digits: "159"), FarEnd(t1.b, 1, hz: 1300), FarEnd(e1.b, 5, digits: "73"),
                   FarEnd(e1.b, 6, hz: 700), FarEnd(t1.b, 7, hz: 1100), FarEnd(e1.b, 10, hz: 1100), FarEnd(t1.b, 12),
                   FarEnd(e1.b, 20), FarEnd(t1.b, 21)]
        var heard = [[UInt8]](repeating: [], count: far.count)
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
        defer { frame.deallocate() }
        // Commands sent between ticks, applied inside the counted ones.
        let script: [Int: [MediaEngine.Command]] = [
            40: [.leaveConference(3, ep(0, 6))],
            45: [.joinConference(3, ep(0, 6))],
            50: [.unbridge(id: 1)],
            52: [.bridge(id: 1, ep(0, 1), ep(1, 1))],
            60: [.stopPrompt(ep(0, 10)), .playTone(ep(0, 10), .ringback)],
            65: [.stopTone(ep(0, 10)), .playPrompt(ep(0, 10), prompt: 1, token: 11, loop: true)],
            70: [.playTone(ep(1, 12), .congestion), .detectDigits(ep(1, 1), false)],
            30: [.startFax(ep(1, 21), faxLate)],
            80: [.stopFax(ep(1, 21)), .detectSilence(ep(1, 12), samples: 0)],
        ]
        var allocations = 0
        var moved: UInt64 = 0
        var digits: [MediaEngine.Endpoint: String] = [:]
        var faxEvents: [MediaEngine.Event] = []
        var silences: [(Int, MediaEngine.Endpoint)] = []
        for t in 0..<100 {
            for command in script[t] ?? [] { #expect(engine.send(command)) }
            for f in far { f.send(frame) }
            e1.clockTick(); t1.clockTick()  // one frame each way per tick (an empty ring would send idle)
            let before = engine.frames
            CAllocationCounter_start()
            engine.tick()
            allocations += CAllocationCounter_stop()
            moved += engine.frames - before
            for (i, f) in far.enumerated() { f.drain(frame, into: &heard[i]) }
            while let e = engine.nextEvent() {
                if case .digit(let at, let d) = e { digits[at, default: ""].append(d.character) }
                if case .faxTone = e { faxEvents.append(e) }
                if case .faxFinished = e { faxEvents.append(e) }
                if case .silence(let at) = e { silences.append((t, at)) }
            }
        }
        #expect(allocations == 0)
        #expect(engine.commandsRefused == 0)
        #expect(moved > 150)  // both directions of the bridge, but for its two ticks down
        #expect(digits == [ep(0, 1): "159", ep(0, 5): "73"])
        // One second of idle: reported once, about 50 ticks in; the tone never.
        #expect(silences.count == 1 && silences.first?.1 == ep(1, 12) && (48...53).contains(silences.first?.0 ?? 0), "\(silences)")
        // Who hears whom, over the last 400 ms.
        let parties = [700, 1100, 1300]
        func hears(_ i: Int) -> Set<Int> { ToneProbe.heard(in: Array(heard[i].suffix(3200)), law: far[i].law, among: parties) }
        #expect(hears(0) == [1300])        // the bridge: the T1 party's tone, translated to A-law
        #expect(hears(2) == [700, 1100])   // conference member 5: the others
        #expect(hears(3) == [1100])        // member 6: member 7 (5 sends DTMF, done by now)
        #expect(hears(4) == [700])         // member 7: member 6
        #expect(heard[5].contains { $0 != G711Law.alaw.idleByte })  // the looped prompt
        // CNG heard under the prompt; the late fax handed back when stopped;
        // the answering terminal sends CED (2100 Hz) meanwhile.
        #expect(faxEvents == [.faxTone(ep(0, 10), .cng), .faxFinished(ep(1, 21), faxLate)])
        #expect(ToneProbe.heard(in: Array(heard[7].suffix(3200)), law: .alaw, among: [1100, 2100]) == [2100])
        #expect(faxLate.close().code == FaxResult.callDropped)
        _ = faxIn.close()
        // The conference member's tap recorded it (a tap sees any route).
        engine.send(.stopRecording(slot: confSlot))
        engine.send(.stopRecording(slot: bridgeSlot))
        engine.tick()
        var stopped = 0
        while let e = engine.nextEvent() { if case .recordingStopped = e { stopped += 1 } }
        #expect(stopped == 2)
        #expect((recorder.close(slot: confSlot)?.frames ?? 0) >= 95)
        #expect((recorder.close(slot: bridgeSlot)?.frames ?? 0) >= 95)
    }

    /// A channel has one route: bridging a conference member, or joining a
    /// bridged channel, is refused (and counted), not half applied.
    @Test func aChannelHasOneRoute() throws {
        let clock = VirtualClock(periodNanoseconds: 3_600_000_000_000)
        let link = try VirtualLink(a: "near", b: "far", type: .e1, clock: clock)
        defer { link.close() }
        try link.a.start(); try link.b.start()
        let engine = MediaEngine(spans: [link.a], clock: clock, logger: Logger(label: "test"))
        let a = MediaEngine.Endpoint(span: 0, channel: 1), b = MediaEngine.Endpoint(span: 0, channel: 2)
        let c = MediaEngine.Endpoint(span: 0, channel: 3)
        engine.send(.joinConference(0, a))
        engine.send(.bridge(id: 5, a, b))           // refused: a is in a conference
        engine.send(.bridge(id: 6, b, c))
        engine.send(.joinConference(0, c))          // refused: c is bridged
        engine.send(.bridge(id: 6, a, c))           // refused: id 6 in use
        engine.send(.playTone(b, .dial))            // refused: b is bridged
        engine.send(.bridge(id: 7, .init(span: 3, channel: 1), b))  // refused: no such span
        engine.tick()
        #expect(engine.bridgeCount == 1)
        #expect(engine.commandsRefused == 5)
        #expect(engine.commandsApplied == 7)
        engine.send(.leaveConference(0, a))
        engine.send(.unbridge(id: 6))
        engine.send(.bridge(id: 5, a, b))
        engine.tick()
        #expect(engine.bridgeCount == 1 && engine.commandsRefused == 5)
    }
}

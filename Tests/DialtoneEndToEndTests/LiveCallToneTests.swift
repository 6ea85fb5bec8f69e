// SPDX-License-Identifier: GPL-2.0-or-later
// The tone probe the call-control tests (hold, transfer, conference) listen
// with, end to end: a live caller says its own tone and reports which tones
// it hears; through a bridged call it hears the agent's and never its own.
import DialtoneConfig
import DialtoneLineSim
import DialtoneMedia
import DialtoneSpans
import Foundation
import Testing

extension EndToEnd {
@Suite(.serialized) struct LiveCallToneTests {
    static let parties = [500, 700, 1100, 1300]

    @Test func aLiveCallerSaysItsToneAndHearsTheAgents() async throws {
        let rig = try await RecordingRig("livetone", agents: SpanConfig(name: "agents", type: .t1, role: .net, switchType: .national)) {
            RecordingConfig(directory: "\($0)/recordings", format: .pcm16, layout: .stereo, rules: [.init(span: "pstn", percent: 100)])
        }  // an A-law caller, a µ-law agent
        let sim = rig.sim
        // The agent: 200 ms lead-in, then 1300 Hz at −13 dBm0 for 2 s, then silence.
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), tone: (hz: 1300, level: -13, ms: 2000)))
        let call = try await sim.dialLiveCall(port: "pstn-far", ani: "4155550180", dnis: "5551000")
        call.startTone(hz: 500, level: -13)
        let answered = ContinuousClock.now
        #expect(await call.waitForTones([1300], among: Self.parties) == [1300], "the agent's tone, not the caller's own")
        #expect(await call.waitForTones([], among: Self.parties) == [], "silence once the agent's tone ends")
        // The caller switches to its second tone, added to the audio it then queues.
        try await Task.sleep(until: answered + .milliseconds(3000))
        call.startTone(hz: 700, level: -20, mix: .add)
        call.sendTone(hz: 1100, level: -13, ms: 500)
        try await Task.sleep(until: answered + .milliseconds(4000))
        call.stopTone()
        #expect(call.heardTones(among: Self.parties).isEmpty)
        try await Task.sleep(for: .milliseconds(300))
        await call.hangUp()

        // What the caller sent, from its channel of the recording: 500 Hz
        // alone, then 700 Hz with the queued 1100 Hz.
        let path = try #require(try await rig.recordings().first?.path)
        let (info, data) = try WAVFile.read(path: path)
        #expect(info.channels == 2 && info.format == .pcm16)
        let caller = stride(from: 0, to: data.count - 3, by: 4).map { Int16(bitPattern: UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8) }
        func heard(_ from: Double, _ to: Double, among frequencies: [Int]) -> Set<Int> {
            let probe = ToneProbe(frequencies: frequencies)
            let window = Array(caller[Int(from * 8000)..<min(caller.count, Int(to * 8000))])
            window.withUnsafeBufferPointer { probe.feed($0.baseAddress!, count: $0.count) }
            return probe.heard()
        }
        #expect(caller.count > 4 * 8000)
        #expect(heard(0.5, 2.0, among: Self.parties) == [500])
        #expect(heard(3.3, 3.6, among: Self.parties) == [700, 1100])
        await rig.stop()
    }
}
}

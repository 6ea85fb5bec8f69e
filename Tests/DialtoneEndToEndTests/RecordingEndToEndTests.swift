// SPDX-License-Identifier: GPL-2.0-or-later
// Call recording end to end: a bridged call between the simulated network and
// a simulated agent is recorded by policy; the WAV (checked with sox and soxi)
// holds each party's known tone at its time on its own channel, and each
// party's known audio bit for bit; the same
// audio reaches an ALSA device (alsa-lib's `file` plugin, no card needed);
// the recording is indexed in the store with the call.
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Testing

func soxi(_ flag: String, _ path: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/soxi")
    p.arguments = [flag, path]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try? p.run()
    p.waitUntilExit()
    return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The RMS amplitude (full scale 1.0) that `sox FILE -n remix CHANNEL trim
/// START LENGTH [bandpass HZ 40h] stat` measures in one channel's window:
/// with `hz`, only what lies around that frequency.
func soxRMS(_ path: String, channel: Int, start: Double, length: Double, hz: Int? = nil) -> Double? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
    p.arguments = [path, "-n", "remix", "\(channel)", "trim", "\(start)", "\(length)"]
        + (hz.map { ["bandpass", "\($0)", "40h"] } ?? []) + ["stat"]
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text.split(separator: "\n").first { $0.hasPrefix("RMS     amplitude") }
        .flatMap { $0.split(separator: ":").last }
        .flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
}

/// A daemon on two looped spans (numbers under 555 go from `pstn` to
/// `agents`) that records as `recording` says, in a scratch directory.
final class RecordingRig: @unchecked Sendable {
    let dir: String
    let daemon: Daemon
    let sim: LineSimulator

    init(_ name: String, agents: SpanConfig = SpanConfig(name: "agents", type: .e1, role: .net, switchType: .euroisdnE1),
         recording: (String) -> RecordingConfig) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = DialtoneConfig(
            daemon: DaemonSettings(controlSocket: "\(dir)/control.sock", database: "\(dir)/cdr.sqlite", logLevel: "warning"),
            spans: [SpanConfig(name: "pstn", type: .e1, role: .cpe, switchType: .euroisdnE1), agents],
            routes: [RouteConfig(pattern: .prefix("555"), spans: ["agents"])],
            recording: recording(dir))
        var logger = Logger(label: "rec")
        logger.logLevel = .warning
        daemon = try Daemon(config: config, logger: logger)
        try daemon.start()
        sim = try #require(daemon.simulator)
        #expect(await daemon.waitForLinks())
    }

    /// The store's recordings once there are `count` (or after 5 s).
    func recordings(count: Int = 1) async throws -> [RecordingRow] {
        var rows: [RecordingRow] = []
        for _ in 0..<50 where rows.count < count {
            try await Task.sleep(for: .milliseconds(100))
            rows = try daemon.store.recordings()
        }
        return rows
    }

    func stop() async {
        await daemon.stop(drain: .seconds(2))
        try? FileManager.default.removeItem(atPath: dir)
    }
}

extension EndToEnd {
@Suite(.serialized) struct RecordingEndToEndTests {
    /// The caller and the agent each say a known tone at a known time; sox
    /// finds each tone on its party's channel of the stereo WAV, at its time,
    /// and silence on the other channel (no cross-talk).
    @Test func stereoRecordingHoldsEachPartysToneAtItsTime() async throws {
        let rig = try await RecordingRig("tones", agents: SpanConfig(name: "agents", type: .t1, role: .net, switchType: .national)) {
            RecordingConfig(directory: "\($0)/recordings", format: .pcm16, layout: .stereo, rules: [.init(span: "pstn", percent: 100)])
        }  // an A-law caller, a µ-law agent
        let sim = rig.sim
        // The agent: 200 ms lead-in, then 1400 Hz for 1 s.
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50), tone: (hz: 1400, level: -10, ms: 1000)))
        let call = try await sim.dialLiveCall(port: "pstn-far", ani: "4155550170", dnis: "5551000")
        // The caller: 1004 Hz for 800 ms from 1.6 s after the answer.
        try await Task.sleep(for: .milliseconds(1600))
        call.sendTone(hz: 1004, level: -10, ms: 800)
        try await Task.sleep(for: .milliseconds(1400))
        await call.hangUp()
        let path = try #require(try await rig.recordings().first?.path)
        #expect(soxi("-c", path) == "2" && soxi("-b", path) == "16" && soxi("-r", path) == "8000")
        #expect((Double(soxi("-D", path)) ?? 0) >= 2.8, "the whole call: \(soxi("-D", path)) s")

        // Windows chosen inside each tone with 250 ms to spare for set-up
        // and line latency; the silent windows likewise.
        // A tone is there when nearly all of the window's energy passes a
        // 40 Hz band-pass at its frequency, and little passes at the other's.
        func measure(_ channel: Int, _ start: Double, _ length: Double) throws -> (all: Double, at1004: Double, at1400: Double) {
            (try #require(soxRMS(path, channel: channel, start: start, length: length)),
             try #require(soxRMS(path, channel: channel, start: start, length: length, hz: 1004)),
             try #require(soxRMS(path, channel: channel, start: start, length: length, hz: 1400)))
        }
        let agent = try measure(2, 0.5, 0.5), caller = try measure(1, 2.1, 0.4)
        let agentLater = try measure(2, 2.1, 0.4), callerEarlier = try measure(1, 0.5, 0.5)
        #expect(agent.all > 0.1 && agent.at1400 > 0.8 * agent.all && agent.at1004 < 0.2 * agent.all,
                "agent channel 0.5–1.0 s holds 1400 Hz: \(agent)")
        #expect(caller.all > 0.1 && caller.at1004 > 0.8 * caller.all && caller.at1400 < 0.2 * caller.all,
                "caller channel 2.1–2.5 s holds 1004 Hz: \(caller)")
        #expect(agentLater.all < 0.005, "agent channel silent while the caller speaks: \(agentLater)")
        #expect(callerEarlier.all < 0.005, "caller channel silent while the agent speaks: \(callerEarlier)")
        await rig.stop()
    }

    @Test func bridgedCallIsRecordedStereoAndStreamedToALSA() async throws {
        let rig = try await RecordingRig("rec") { dir in
            RecordingConfig(directory: "\(dir)/recordings", format: .alaw, layout: .stereo,
                                   rules: [.init(span: "pstn", percent: 100)], alsaDevice: "tap",
                                   alsaConfig: "pcm.tap { type file slave.pcm { type null } file \"\(dir)/tap.raw\" format \"raw\" }")
        }
        let dir = rig.dir, daemon = rig.daemon, sim = rig.sim, tap = "\(rig.dir)/tap.raw"
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50)))

        let result = await sim.place(.init(port: "pstn-far", ani: "4155550150", dnis: "5551000", patternFrames: 50,
                                           hold: .seconds(2)))
        #expect(result.connected && result.backward?.bitExact == true, "\(result)")
        let row = try #require(try await rig.recordings().first)
        let cdr = try #require(try daemon.store.cdrs().first { $0.ani == "4155550150" })
        #expect(row.callID == cdr.callID && row.complete && row.problem == nil && row.format == "alaw" && row.layout == "stereo")
        #expect(row.path.hasPrefix("\(dir)/recordings/") && row.path.hasSuffix("_\(cdr.callID)_4155550150_5551000.wav"))

        // sox agrees on the format, and the duration is the call's.
        #expect(soxi("-c", row.path) == "2" && soxi("-r", row.path) == "8000" && soxi("-e", row.path) == "A-law")
        let seconds = Double(soxi("-D", row.path)) ?? 0
        #expect(abs(seconds - Double(row.durationMs) / 1000) < 0.05 && seconds >= 1.9, "\(seconds) s")

        // Left: what the caller sent; right: what the agent sent — bit for bit.
        let (info, data) = try WAVFile.read(path: row.path)
        #expect(info.channels == 2 && info.format == .alaw)
        let left = stride(from: 0, to: data.count, by: 2).map { data[$0] }
        let right = stride(from: 1, to: data.count, by: 2).map { data[$0] }
        let caller = TestPattern.bytes(seed: TestPattern.seed("4155550150/fwd"), count: 50 * 160)
        let agent = TestPattern.bytes(seed: TestPattern.seed("4155550150/bwd"), count: 50 * 160)
        let l = left.withUnsafeBufferPointer { PatternCheck.check(pattern: caller, in: $0) }
        let r = right.withUnsafeBufferPointer { PatternCheck.check(pattern: agent, in: $0) }
        #expect(l.bitExact, "caller channel: \(l)")
        #expect(r.bitExact, "agent channel: \(r)")

        // The ALSA device got the same audio as 16-bit stereo, in step with the file.
        let raw = try #require(FileManager.default.contents(atPath: tap))
        let pcm = [UInt8](raw)
        let streamed = (0..<(pcm.count / 2)).map { Int16(bitPattern: UInt16(pcm[2 * $0]) | UInt16(pcm[2 * $0 + 1]) << 8) }
        let fileSamples = WAVFile.samples(of: data, info: info)
        #expect(streamed.count >= fileSamples.count - 320 && streamed.count <= fileSamples.count + 320, "\(streamed.count) vs \(fileSamples.count)")
        let n = min(streamed.count, fileSamples.count)
        #expect(n > 0 && Array(streamed[0..<n]) == Array(fileSamples[0..<n]))
        await rig.stop()
    }

    /// On demand: the caller dials the code during the call (in band), or
    /// an integrator asks over the control socket; only those calls are recorded.
    @Test func onDemandByDTMFAndByTheAPI() async throws {
        let rig = try await RecordingRig("ondemand") {
            RecordingConfig(directory: "\($0)/recordings", format: .pcm16, layout: .mono, onDemandCode: "*1")
        }
        let dir = rig.dir, daemon = rig.daemon, sim = rig.sim
        await sim.setAgentBehaviour(.init(answerAfter: .milliseconds(50)))

        // Not recorded without asking.
        let plain = try await sim.dialLiveCall(port: "pstn-far", ani: "4155550160", dnis: "5551000")
        plain.sendDTMF("1*", level: -20)  // not the code
        try await Task.sleep(for: .milliseconds(800))
        #expect(await daemon.switchCore.activeCalls().first { $0.ani == "4155550160" }?.recording == false)
        await plain.hangUp()

        // The caller dials *1 in band.
        let byDTMF = try await sim.dialLiveCall(port: "pstn-far", ani: "4155550161", dnis: "5551000")
        try await Task.sleep(for: .milliseconds(300))
        byDTMF.sendDTMF("*1", level: -20)
        var recorded = false
        for _ in 0..<50 where !recorded {
            try await Task.sleep(for: .milliseconds(100))
            recorded = await daemon.switchCore.activeCalls().first { $0.ani == "4155550161" }?.recording == true
        }
        #expect(recorded, "the in-band *1 started a recording")
        try await Task.sleep(for: .seconds(1))
        await byDTMF.hangUp()

        // The API records a call by its id.
        let byAPI = try await sim.dialLiveCall(port: "pstn-far", ani: "4155550162", dnis: "5551000")
        try await Task.sleep(for: .milliseconds(300))
        let id = try #require(await daemon.switchCore.activeCalls().first { $0.ani == "4155550162" }?.id)
        let reply = try ControlClient.request("record \(id)", socketPath: "\(dir)/control.sock")
        #expect(String(decoding: reply, as: UTF8.self).contains("\"recording\""), "\(String(decoding: reply, as: UTF8.self))")
        #expect(await daemon.switchCore.activeCalls().first { $0.id == id }?.recording == true)
        let again = try ControlClient.request("record \(id)", socketPath: "\(dir)/control.sock")
        #expect(String(decoding: again, as: UTF8.self).contains("already recorded"))
        let unknown = try ControlClient.request("record nope", socketPath: "\(dir)/control.sock")
        #expect(String(decoding: unknown, as: UTF8.self).contains("no call nope"))
        try await Task.sleep(for: .seconds(1))
        await byAPI.hangUp()

        let rows = try await rig.recordings(count: 2)
        let cdrs = try daemon.store.cdrs()
        let callOf = { (ani: String) in cdrs.first { $0.ani == ani }?.callID }
        #expect(Set(rows.map(\.callID)) == Set([callOf("4155550161"), callOf("4155550162")].compactMap { $0 }), "\(rows)")
        #expect(rows.allSatisfy { $0.complete && $0.durationMs >= 600 && $0.layout == "mono" && $0.format == "pcm16" }, "\(rows)")
        for row in rows { #expect(soxi("-c", row.path) == "1" && soxi("-b", row.path) == "16") }
        await rig.stop()
    }

    /// A recording left by a crash (header not updated since the last
    /// interval, data after it) is made valid when the daemon starts.
    @Test func aCrashedRecordingIsRepaired() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-repair-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = RecordingWriter(logger: Logger(label: "rec"), slots: 4, headerInterval: .milliseconds(100))
        writer.start()
        let path = "\(dir)/recordings/2026-11-24/crashed.wav"
        let slot = try writer.open(path: path, format: .pcm16, layout: .mono, laws: (.alaw, .alaw))
        let tick = [UInt8](repeating: 0x55, count: 320)
        for _ in 0..<100 {
            tick.withUnsafeBytes { writer.push(slot: slot, tick: $0) }
            try await Task.sleep(for: .milliseconds(2))
        }
        try await Task.sleep(for: .milliseconds(300))
        writer.abandon(slot: slot)  // the header is at most one interval behind
        // Frames written after the last header update, as a crash leaves them.
        let extra = FileHandle(forWritingAtPath: path)!
        try extra.seekToEnd()
        try extra.write(contentsOf: Data(repeating: 0, count: 3201))  // and half a sample
        try extra.close()
        writer.stop()
        let repaired = RecordingWriter.repairDirectory("\(dir)/recordings", logger: Logger(label: "rec"))  // what start-up runs
        #expect(repaired.count == 1 && repaired.first?.newDataBytes == (100 * 160 + 1600) * 2, "\(repaired)")
        #expect(soxi("-s", path) == "\(100 * 160 + 1600)")
        #expect(try WAVFile.repair(path: path) == nil)  // consistent now
    }
}
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import Foundation

/// `dialtone bench`: the idle daemon's CPU share, media engine capacity,
/// signalling throughput end to end, the ratios to C floors, and the ACD's
/// distribution decision time and throughput.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the idle daemon's CPU share, how many channels the media engine carries in real time, and calls per second end to end (figures, not pass/fail).")

    @Option(help: "Channels (rounded up to whole E1 spans of 30); every pair is a bridged, recorded call with DTMF detection on both.")
    var channels = 1024
    @Option(help: "Ticks measured back to back for the per-channel cost (0 = skip the media benchmark).")
    var ticks = 1000
    @Option(help: "Seconds of the real-time run on the 20 ms clock (0 = skip).")
    var seconds = 60.0
    @Option(help: "The C floor program (bench/floor.c, built by `make bench`).")
    var floor: String?
    @Option(name: .shortAndLong, help: "The config whose daemon is measured idle (its loopback spans with the line simulator).")
    var config = "config/dialtone.yaml"
    @Option(help: "Seconds of idle measured (0 = skip).")
    var idleSeconds = 10.0
    @Option(help: "Seconds of the signalling benchmark's measured window, after 1 s of warm-up (0 = skip); the C floor runs half as long.")
    var sigSeconds = 8.0
    @Option(help: "Calls in flight at once in the signalling benchmark (and its floor); \(SignallingBenchmark.channelsPerSpan) per inbound E1.")
    var sigCalls = 60
    @Option(help: "The C signalling floor (bench/sigfloor.c, built by `make bench`).")
    var sigFloor: String?
    @Option(help: "Where the signalling benchmark's daemon keeps its SQLite file (default: a temporary directory; tmpfs makes fsync free).")
    var sigDirectory: String?
    @Option(help: "Distribution decisions timed in the ACD benchmark (1,000 agents, 10,000 waiting items; 0 = skip).")
    var acdDecisions = 20_000
    @Option(help: "Simulated calls through the ACD state machine for its throughput (0 = skip).")
    var acdCalls = 500_000

    func validate() throws {
        guard (1...(SignallingBenchmark.channelsPerSpan * 31)).contains(sigCalls) else {
            throw ValidationError("--sig-calls must be 1...\(SignallingBenchmark.channelsPerSpan * 31) (the floor has at most 32 spans of each kind)")
        }
        guard sigSeconds >= 0, seconds >= 0, idleSeconds >= 0, ticks >= 0, channels >= 2, acdDecisions >= 0, acdCalls >= 0 else {
            throw ValidationError("durations and counts must not be negative; --channels at least 2")
        }
    }

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func say(_ s: String) { print(s); fflush(nil) }

        if idleSeconds > 0 {
            say("Dialtone idle: the daemon of \(config), D-channels up, no call, for \(Int(idleSeconds)) s ...")
            do {
                let loaded = try ConfigLoader.load(path: config)
                let idleDir = dir + "/idle"
                try FileManager.default.createDirectory(atPath: idleDir, withIntermediateDirectories: true)
                let i = try await IdleBenchmark.measure(config: loaded, seconds: idleSeconds, directory: idleDir)
                say(String(format: "  idle CPU share: %.2f %% of one core over %.1f s (%d spans, D-channels %@, %d threads); goal < %.1f %%",
                           i.cpuPercent, i.seconds, i.spans, i.linksUp ? "up" : "NOT up", i.threads, IdleBenchmark.goalPercent))
            } catch {
                say("  idle: not measured: \(error)")
            }
        }

        if ticks > 0 { try media(dir: dir, say: say) }
        if sigSeconds > 0 {
            let sigDir = sigDirectory.map { "\($0)/dialtone-sigbench-\(getpid())" } ?? dir + "/signalling"
            defer { if sigDirectory != nil { try? FileManager.default.removeItem(atPath: sigDir) } }
            do { try await signalling(dir: sigDir, say: say) } catch { say("  signalling: not measured: \(error)") }
        }
        if acdDecisions > 0 || acdCalls > 0 { acd(say: say) }
    }

    private func media(dir: String, say: (String) -> Void) throws {
        say("Dialtone media benchmark: every channel runs SpanDSP DTMF detection, every pair of channels is a bridged call")
        say("recorded in stereo A-law (writer thread, real files in \(dir)).")
        let f = try MediaBenchmark.unpaced(channels: channels, ticks: ticks, directory: dir)
        say(String(format: "  back to back, %d channels, %d ticks: media tick %.0f µs, process CPU %.0f µs per tick",
                   f.channels, f.ticks, f.tickMicros, f.cpuPerTickMicros))
        say(String(format: "  cost per channel: %.0f ns per 20 ms tick = %.4f %% of a core; one core carries about %d channels",
                   f.nanosPerChannel, f.nanosPerChannel / 20_000_000 * 100, f.channelsPerCore))

        if let floor {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: floor)
            p.arguments = ["\(f.channels)", "\(ticks)", dir]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            p.waitUntilExit()
            let fields = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ")
            if p.terminationStatus == 0, fields.count >= 3, let micros = Double(fields[2]) {
                let floorNanos = micros * 1000 / Double(f.channels)
                say(String(format: "  C floor (SpanDSP + memcpy + write, same work): %.0f µs per tick, %.0f ns per channel",
                           micros, floorNanos))
                say(String(format: "  ratio Dialtone / floor: %.2f (goal ≤ 1.5)", f.nanosPerChannel / floorNanos))
            } else {
                say("  C floor: \(floor) failed (status \(p.terminationStatus))")
            }
        }

        if seconds > 0 {
            say(String(format: "  real time on the 20 ms clock for %.0f s at %d channels ...", seconds, f.channels))
            let r = try MediaBenchmark.realTime(channels: channels, seconds: seconds, directory: dir)
            say(String(format: "  real time: %d channels, %llu ticks in %.1f s, %llu missed, process CPU %.1f %% of one core",
                       r.channels, r.ticks, r.seconds, r.missed, r.cpuPercent))
            say(r.missed == 0 ? "  sustained: \(r.channels) channels with zero missed ticks"
                : "  NOT sustained: \(r.missed) ticks missed at \(r.channels) channels")
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import Foundation

/// `dialtone bench`: the idle daemon's CPU share, media engine capacity,
/// signalling throughput end to end, the ratios to C floors, DTMF talk-off
/// and the receiver's cost per channel, and the ACD's distribution decision
/// time and throughput.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the idle daemon's CPU share, how many channels the media engine carries in real time, and calls per second end to end (figures, not pass/fail).")

    @Option(help: "Channels (rounded up to whole E1 spans of 30); every pair is a bridged, recorded call with DTMF detection on both.")
    var channels = 1024
    @Option(help: "Ticks measured back to back for the per-channel cost (0 = skip the media benchmark).")
    var ticks = 1000
    @Option(help: "Rounds of the back-to-back media run, each followed by the C floor (the ratio is the median of the rounds').")
    var mediaRounds = 5
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
    @Option(help: "Rounds of the signalling benchmark on one daemon, each after a run of the C floor (the ratio is the median of the rounds').")
    var sigRounds = 3
    @Option(help: "The C signalling floor (bench/sigfloor.c, built by `make bench`).")
    var sigFloor: String?
    @Option(help: "Where the signalling benchmark's daemon keeps its SQLite file (default: a temporary directory; tmpfs makes fsync free).")
    var sigDirectory: String?
    @Option(help: "Rounds of the fax benchmark (3 pages through the fax stage, each round followed by the C floor; 0 = skip).")
    var faxRounds = 5
    @Option(help: "The C fax floor (bench/faxfloor.c, built by `make bench`).")
    var faxFloor: String?
    @Option(help: "Rounds of the DTMF receiver's cost against SpanDSP's dtmf_rx, after its false digits over the talk-off corpus (0 = skip the DTMF part).")
    var dtmfRounds = 5
    @Option(help: "Channels (receivers) in the DTMF cost rounds.")
    var dtmfChannels = 64
    @Option(help: "20 ms frames per channel measured in each DTMF cost round.")
    var dtmfFrames = 3000
    @Option(help: "The talk-off corpus (`make talkoff`).")
    var talkoff = TalkOffCorpus.relativeDirectory
    @Option(help: "Distribution decisions timed in the ACD benchmark (1,000 agents, 10,000 waiting items; 0 = skip).")
    var acdDecisions = 20_000
    @Option(help: "Simulated calls through the ACD state machine for its throughput (0 = skip).")
    var acdCalls = 500_000

    func validate() throws {
        guard (1...(SignallingBenchmark.channelsPerSpan * 31)).contains(sigCalls) else {
            throw ValidationError("--sig-calls must be 1...\(SignallingBenchmark.channelsPerSpan * 31) (the floor has at most 32 spans of each kind)")
        }
        guard (1...50).contains(mediaRounds) else { throw ValidationError("--media-rounds must be 1...50") }
        guard (0...50).contains(faxRounds) else { throw ValidationError("--fax-rounds must be 0...50") }
        guard (0...50).contains(dtmfRounds), dtmfChannels >= 1, dtmfFrames >= 1 else {
            throw ValidationError("--dtmf-rounds must be 0...50, --dtmf-channels and --dtmf-frames at least 1")
        }
        guard (1...20).contains(sigRounds) else { throw ValidationError("--sig-rounds must be 1...20") }
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
        if faxRounds > 0 {
            do { try fax(dir: dir, say: say) } catch { say("  fax: not measured: \(error)") }
        }
        if dtmfRounds > 0 { dtmf(say: say) }
        if acdDecisions > 0 || acdCalls > 0 { acd(say: say) }
    }

    /// Runs `floor CHANNELS TICKS DIRECTORY`: its CPU per channel per tick in ns, nil when it fails.
    private func runMediaFloor(_ floor: String, channels: Int, dir: String) -> Double? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: floor)
        p.arguments = ["\(channels)", "\(ticks)", dir]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { return nil }
        let text = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let fields = String(decoding: text, as: UTF8.self).split(separator: " ")
        guard p.terminationStatus == 0, fields.count >= 3, let micros = Double(fields[2]) else { return nil }
        return micros * 1000 / Double(channels)
    }

    private func media(dir: String, say: (String) -> Void) throws {
        say("Dialtone media benchmark: every channel runs DTMF detection (the Q.24 receiver), every pair of channels is a bridged call")
        say("recorded in stereo A-law (writer thread, real files in \(dir)).")
        // Rounds alternate Dialtone and the floor, so both see the same share
        // of a shared host; the ratio is the median of the rounds' ratios.
        var ratios: [Double] = [], ours: [Double] = [], theirs: [Double] = []
        var last: MediaBenchmark.Figures?
        for round in 1...mediaRounds {
            let f = try MediaBenchmark.unpaced(channels: channels, ticks: ticks, directory: dir)
            last = f
            ours.append(f.nanosPerChannel)
            var line = String(format: "  round %d: Dialtone %.0f ns per channel per tick (media tick %.0f µs, process CPU %.0f µs per tick)",
                              round, f.nanosPerChannel, f.tickMicros, f.cpuPerTickMicros)
            if let floor, let floorNanos = runMediaFloor(floor, channels: f.channels, dir: dir) {
                theirs.append(floorNanos)
                ratios.append(f.nanosPerChannel / floorNanos)
                line += String(format: "; C floor %.0f ns; ratio %.2f", floorNanos, f.nanosPerChannel / floorNanos)
            } else if floor != nil {
                line += "; C floor failed"
            }
            say(line)
        }
        guard let f = last else { return }
        let median = { (v: [Double]) -> Double in
            let s = v.sorted()
            return s.isEmpty ? 0 : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let perChannel = median(ours)
        say(String(format: "  back to back, %d channels, %d ticks × %d rounds: median %.0f ns per channel per 20 ms tick (%.0f–%.0f) = %.4f %% of a core; one core carries about %d channels",
                   f.channels, ticks, mediaRounds, perChannel, ours.min() ?? 0, ours.max() ?? 0, perChannel / 20_000_000 * 100,
                   perChannel > 0 ? Int(20_000_000 / perChannel) : 0))
        if !ratios.isEmpty {
            say(String(format: "  C floor (SpanDSP + memcpy + write, same work, 10 ticks of warm-up as ours): median %.0f ns per channel (%.0f–%.0f)",
                       median(theirs), theirs.min() ?? 0, theirs.max() ?? 0))
            say(String(format: "  ratio Dialtone / floor: median %.2f of %d interleaved rounds (%@) (goal ≤ 1.1)",
                       median(ratios), ratios.count, ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
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

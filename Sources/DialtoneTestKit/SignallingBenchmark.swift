// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneDaemon
import DialtoneLineSim
import DialtoneSignalling
import DialtoneSpans
import DialtoneStore
import Foundation
import Logging

/// `dialtone bench`: calls per second through the whole daemon on virtual
/// spans. The line simulator's callers (libpri NET; ``SignallingLoad``) place calls closed loop,
/// `inFlight` at a time, on inbound E1s where Dialtone is the user side; the
/// switch routes each to an agents E1 where Dialtone is the network side and
/// a simulated agent (libpri CPE) answers at once, without audio; the caller
/// clears as soon as it sees CONNECT. A call counts once its CDR is committed
/// to the daemon's SQLite file by the store writer. Figures, not pass/fail.
public enum SignallingBenchmark {
    /// B-channels per E1.
    public static let channelsPerSpan = 30
    /// The numbers the callers dial (routed by prefix to the agents spans).
    static let dialled = "5551000"

    public struct Figures: Sendable {
        public var inboundSpans: Int
        public var agentSpans: Int
        public var inFlight: Int
        /// From the start of the measured window until the last call placed
        /// in it was released and its CDR committed, in seconds.
        public var seconds: Double
        /// CDRs committed of calls that started in the window, and of those answered.
        public var cdrs: Int
        public var answered: Int
        /// Calls placed in the window as the far-end callers saw them.
        public var placed: Int
        public var completed: Int
        public var failed: Int
        public var failures: [String]
        /// Process CPU (user + system, every thread) over the window, in seconds.
        public var cpuSeconds: Double
        /// SETUP → CONNECT at the callers, sorted.
        public var latencies: [Duration]
        public var database: String

        public var callsPerSecond: Double { seconds > 0 ? Double(cdrs) / seconds : 0 }
        public var cpuPerCallMicros: Double { cdrs > 0 ? cpuSeconds * 1e6 / Double(cdrs) : 0 }
        public var cpuPercent: Double { seconds > 0 ? cpuSeconds / seconds * 100 : 0 }
        public func percentile(_ p: Double) -> Duration? {
            latencies.isEmpty ? nil : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
    }

    /// Spans for `inFlight` calls: enough inbound E1s for the callers, and
    /// one agents E1 more, so a call whose agent leg is still clearing after
    /// its caller is gone never leaves the next call without a circuit.
    public static func layout(inFlight: Int) -> (inbound: Int, agents: Int) {
        let inbound = max(1, (inFlight + channelsPerSpan - 1) / channelsPerSpan)
        return (inbound, inbound + 1)
    }

    /// The daemon's configuration: E1 EuroISDN virtual spans looped to the
    /// line simulator, one prefix route over the agents spans in hunt order,
    /// no IVR, no recording; its files in `directory`.
    public static func config(inFlight: Int, directory: String) -> DialtoneConfig {
        let (inbound, agents) = layout(inFlight: inFlight)
        var spans: [SpanConfig] = []
        for i in 0..<inbound { spans.append(SpanConfig(name: "pstn\(i)", type: .e1, role: .cpe, switchType: .euroisdnE1)) }
        for i in 0..<agents { spans.append(SpanConfig(name: "agents\(i)", type: .e1, role: .net, switchType: .euroisdnE1)) }
        return DialtoneConfig(daemon: DaemonSettings(controlSocket: "\(directory)/control.sock",
                                                     database: "\(directory)/dialtone.sqlite", logLevel: "warning"),
                              spans: spans,
                              routes: [RouteConfig(pattern: .prefix("555"), spans: (0..<agents).map { "agents\($0)" })])
    }

    /// Runs the daemon of ``config(inFlight:directory:)`` under load. With
    /// `calls`, exactly that many calls are placed and measured (no warm-up);
    /// otherwise calls run `warmup` seconds unmeasured, then `seconds` measured.
    public static func run(inFlight: Int, seconds: Double, calls limit: Int? = nil, warmup: Double = 1,
                           directory: String, logger: Logger) async throws -> Figures {
        try await run(inFlight: inFlight, seconds: seconds, calls: limit, warmup: warmup, rounds: 1,
                      directory: directory, logger: logger)[0]
    }

    /// ``run(inFlight:seconds:calls:warmup:directory:logger:)`` `rounds`
    /// times on one daemon: before each round `before(round)` runs while the
    /// daemon is idle (its D-channels up, no call), so that a reference (the
    /// C floor) can be measured between Dialtone's windows, under the same
    /// conditions of a shared host. Each round: the load starts, `warmup`
    /// seconds unmeasured, `seconds` measured, then the load stops and every
    /// call is released and its CDR committed; one ``Figures`` per round.
    public static func run(inFlight: Int, seconds: Double, calls limit: Int? = nil, warmup: Double = 1, rounds: Int,
                           before: (Int) async -> Void = { _ in }, directory: String,
                           logger: Logger) async throws -> [Figures] {
        let config = config(inFlight: inFlight, directory: directory)
        let daemon = try Daemon(config: config, logger: logger)
        try daemon.start()
        guard await daemon.waitForLinks(), let sim = daemon.simulator else {
            await daemon.stop(drain: .seconds(1))
            throw DaemonError("signalling benchmark: D-channels did not come up")
        }
        let (inbound, agents) = layout(inFlight: inFlight)
        let clock = ContinuousClock()
        var figures: [Figures] = []
        for round in 0..<max(1, rounds) {
            await before(round)
            // The far end's callers and agents run in the simulator's D-channel
            // callbacks (SignallingLoad): no task, stream or timer per call.
            // (Taken before the first SETUP: with `calls`, every call is in the window.)
            var start = clock.now, startDate = Date(), cpu0 = MediaBenchmark.processCPU()
            let load = sim.startLoad(callers: (0..<inFlight).map { "pstn\($0 % inbound)-far" },
                                     agents: (0..<agents).map { "agents\($0)-far" }, dnis: dialled,
                                     limit: limit, measured: limit != nil)
            if limit == nil {
                try? await Task.sleep(for: .seconds(clamping: warmup))
                (start, startDate, cpu0) = (clock.now, Date(), MediaBenchmark.processCPU())
                load.measure()
                try? await Task.sleep(for: .seconds(clamping: seconds))
                load.stop()
            }
            let tally = await load.finish()
            sim.endLoad()
            // Every leg released and its CDR handed to the store writer, then committed.
            while await daemon.switchCore.callCount > 0 && clock.now - start < .seconds(clamping: seconds + 30) {
                try? await Task.sleep(for: .milliseconds(1))
            }
            _ = await daemon.storeWriter.waitDurable(timeout: .seconds(30))
            let elapsed = clock.now - start
            let cpu = MediaBenchmark.processCPU() - cpu0
            let cdrs = (try? daemon.store.count(since: startDate)) ?? 0
            let answered = (try? daemon.store.count(since: startDate, disposition: .answered)) ?? 0
            figures.append(Figures(inboundSpans: inbound, agentSpans: agents, inFlight: inFlight,
                                   seconds: elapsed.inSeconds, cdrs: cdrs, answered: answered, placed: tally.placed,
                                   completed: tally.completed, failed: tally.failed,
                                   failures: Array(tally.failures.prefix(5)), cpuSeconds: cpu,
                                   latencies: tally.latencies.sorted(), database: config.daemon.database))
        }
        await daemon.stop(drain: .seconds(1))
        return figures
    }

    /// The file system a path is on ("ext4", "tmpfs", ...; from /proc/mounts):
    /// on tmpfs an fsync costs nothing.
    public static func fileSystem(of path: String) -> String {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown" }
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3 else { continue }
            let point = String(f[1]).replacingOccurrences(of: "\\040", with: " ")
            let inside = point == "/" || real == point || real.hasPrefix(point + "/")
            if inside, point.count >= (best?.point.count ?? -1) { best = (point, String(f[2])) }
        }
        return best?.type ?? "unknown"
    }
}

extension Duration {
    /// In seconds, as a Double.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

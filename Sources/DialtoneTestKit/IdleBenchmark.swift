// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneDaemon
import DialtoneConfig
import Foundation
import Logging

/// `dialtone bench`: what the daemon costs with no call up. The whole daemon
/// of a config (spans, D-channels, media engine, switch, the line simulator
/// of loopback spans) runs in this process; once the D-channels are up and
/// set-up has settled, the process CPU (user + system, every thread) is
/// measured over a stretch of idle time. Figures, not pass/fail.
public enum IdleBenchmark {
    /// Below this share of one core the idle daemon counts as costing nothing.
    public static let goalPercent = 0.5

    public struct Figures: Sendable {
        public var spans: Int
        public var linksUp: Bool
        public var seconds: Double
        /// CPU time over wall time, in % of one core.
        public var cpuPercent: Double
        /// Threads in the process while idle.
        public var threads: Int
    }

    /// Runs the daemon of `config` idle for `seconds`, its files (socket,
    /// database, recordings) in `directory`.
    public static func measure(config: DialtoneConfig, seconds: Double, directory: String) async throws -> Figures {
        var config = config
        config.daemon.controlSocket = "\(directory)/control.sock"
        config.daemon.database = "\(directory)/dialtone.sqlite"
        config.daemon.pcap = nil
        config.recording.directory = "\(directory)/recordings"
        config.recording.alsaDevice = nil
        config.simulator.callsPerSecond = 0
        var logger = Logger(label: "dialtone.bench")
        logger.logLevel = .warning
        let daemon = try Daemon(config: config, logger: logger)
        try daemon.start()
        let up = await daemon.waitForLinks()
        try? await Task.sleep(for: .seconds(2))  // set-up traffic settles (link establishment, first timers)
        let clock = ContinuousClock()
        let cpu0 = MediaBenchmark.processCPU(), t0 = clock.now
        try? await Task.sleep(for: .seconds(seconds))
        let cpu = MediaBenchmark.processCPU() - cpu0
        let wall = clock.now - t0
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
        await daemon.stop(drain: .seconds(1))
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        return Figures(spans: config.spans.count, linksUp: up, seconds: wallSeconds,
                       cpuPercent: cpu / wallSeconds * 100, threads: threads)
    }
}

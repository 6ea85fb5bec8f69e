// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon (SIGTERM or SIGINT drains calls and stops).",
        discussion: "With --demo on a loopback config, the line simulator offers a live call load and a status line is printed; DEMO_SECONDS=N stops after N seconds with a summary.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Capture every D-channel frame to this pcap file (LAPD/Q.931, readable by tshark).")
    var pcap: String?

    @Flag(help: "Offer a live call load from the line simulator and print a status line.")
    var demo = false

    @Option(help: "Log level (trace, debug, info, notice, warning, error).")
    var logLevel: String?

    @Option(help: "Demo call rate, calls per second (default: the config's simulator.calls_per_second, or 4).")
    var rate: Double?

    func run() async throws {
        var config = try options.load()
        Log.bootstrap(level: logLevel ?? (demo ? "warning" : config.daemon.logLevel))
        let logger = Logger(label: "dialtone")
        if demo && config.simulator.callsPerSecond <= 0 { config.simulator.callsPerSecond = 4 }
        if let rate { config.simulator.callsPerSecond = rate }

        let daemon: Daemon
        do {
            daemon = try Daemon(config: config, logger: logger, pcapPath: pcap)
        } catch {
            printError("dialtone: cannot start: \(error)")
            throw ExitCode(1)
        }
        // The daemon's components in dependency order, then systemd's READY=1;
        // the demo load (if any) last, so that a SIGTERM stops it first.
        let demoService = demo ? DemoService(daemon: daemon, config: config,
                                             seconds: Double(ProcessInfo.processInfo.environment["DEMO_SECONDS"] ?? "") ?? 0)
                               : nil
        var services = daemon.serviceGroupServices()
        if let demoService { services.append(demoService) }
        services.append(ReloadOnHangup(daemon: daemon))
        var groupLogger = logger
        groupLogger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: groupLogger))
        demoService?.group.withLock { $0 = group }
        do {
            try await group.run()
        } catch {
            printError("dialtone: cannot start: \(error)")
            daemon.finished()
            throw ExitCode(1)
        }
        daemon.finished()
        if let demoService { try await demoService.summarize() }
    }
}

/// SIGHUP re-reads the config (`dialtone reload` does the same over the control socket).
struct ReloadOnHangup: Service, CustomStringConvertible {
    let daemon: Daemon
    var description: String { "reload on SIGHUP" }

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                let notifier = SystemdNotifier()
                notifier.notify("RELOADING=1")
                let result = await daemon.reload()
                notifier.notify("READY=1\nSTATUS=\(result.applied ? "reloaded" : "reload refused: \(result.error ?? "")")")
            }
        }
    }
}

/// `serve --demo`: the line simulator offers a checked call load and a
/// status line is printed every 2 s; DEMO_SECONDS stops the daemon after
/// that long, and the summary's failures make the exit status.
final class DemoService: Service, @unchecked Sendable, CustomStringConvertible {
    let daemon: Daemon
    let config: DialtoneConfig
    let seconds: Double
    let group = Mutex<ServiceGroup?>(nil)
    private var generator: LoadGenerator?
    private var failed = false
    private let demoStart = Date()
    var description: String { "demo load" }

    init(daemon: Daemon, config: DialtoneConfig, seconds: Double) {
        self.daemon = daemon
        self.config = config
        self.seconds = seconds
    }

    func run() async throws {
        let scenarios = try LoopbackScenarios(daemon: daemon)
        guard await daemon.waitForLinks() else {
            printError("dialtone: D-channels did not come up")
            failed = true
            await group.withLock { $0 }?.triggerGracefulShutdown()
            try? await gracefulShutdown()
            return
        }
        let g = scenarios.loadGenerator(callsPerSecond: config.simulator.callsPerSecond,
                                        holdSeconds: config.simulator.holdSeconds, maxCalls: config.simulator.maxCalls)
        generator = g
        let load = Task { await g.run() }
        print("demo: \(config.simulator.callsPerSecond) calls/s, \(config.simulator.holdSeconds) s hold, up to \(config.simulator.maxCalls) at once\(seconds > 0 ? ", for \(Int(seconds)) s" : "; Ctrl-C to stop")")
        fflush(nil)
        let started = ContinuousClock.now
        let timeUp = await cancelWhenGracefulShutdown { () -> Bool in
            while !Task.isCancelled {
                let left = self.seconds > 0 ? .seconds(self.seconds) - (ContinuousClock.now - started) : Duration.seconds(2)
                if left <= .zero { return true }
                try? await Task.sleep(for: min(.seconds(2), left))
                if Task.isCancelled { break }
                let s = await self.daemon.status()
                let summary = g.summary
                print("[\(Int((ContinuousClock.now - started).components.seconds))s] \(s.line) | checked \(summary.completed) ok, \(summary.failed) failed")
                fflush(nil)
            }
            return false
        }
        g.stop()
        await load.value
        if timeUp {
            await group.withLock { $0 }?.triggerGracefulShutdown()
            try? await gracefulShutdown()  // a service must not end before the group's shutdown reaches it
        }
    }

    func summarize() async throws {
        if failed { throw ExitCode(1) }
        guard let g = generator?.summary else { return }
        let s = await daemon.status()
        print("summary: \(g)")
        print("summary: \(s.line)")
        if let rows = try? daemon.store.recordings(limit: 100_000).filter({ $0.startTime >= demoStart }), !rows.isEmpty {
            let incomplete = rows.filter { !$0.complete }.count
            print("summary: \(rows.count) calls recorded (\(incomplete) incomplete) in \(config.recording.directory); `dialtone recordings` lists them")
        }
        if g.failed > 0 || g.completed == 0 { throw ExitCode(1) }
    }
}

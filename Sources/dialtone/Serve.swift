// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import Foundation
import Logging
import Synchronization

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
            try daemon.start()
        } catch {
            printError("dialtone: cannot start: \(error)")
            throw ExitCode(1)
        }
        let stop = SignalWaiter()
        let seconds = Double(ProcessInfo.processInfo.environment["DEMO_SECONDS"] ?? "") ?? 0
        var generator: LoadGenerator?
        var loadTask: Task<Void, Never>?
        if demo {
            let scenarios = try LoopbackScenarios(daemon: daemon)
            guard await daemon.waitForLinks() else {
                printError("dialtone: D-channels did not come up")
                await daemon.stop(drain: .seconds(1))
                throw ExitCode(1)
            }
            let g = scenarios.loadGenerator(callsPerSecond: config.simulator.callsPerSecond,
                                            holdSeconds: config.simulator.holdSeconds, maxCalls: config.simulator.maxCalls)
            generator = g
            loadTask = Task { await g.run() }
            print("demo: \(config.simulator.callsPerSecond) calls/s, \(config.simulator.holdSeconds) s hold, up to \(config.simulator.maxCalls) at once\(seconds > 0 ? ", for \(Int(seconds)) s" : "; Ctrl-C to stop")")
        }
        let started = ContinuousClock.now
        let demoStart = Date()
        var lastStatus = started
        let deadline: ContinuousClock.Instant? = seconds > 0 ? started.advanced(by: .seconds(seconds)) : nil
        while !stop.fired {
            // Asleep until a signal, the demo's next status line or the deadline: no polling.
            var wake = deadline
            if demo { wake = min(wake ?? .now.advanced(by: .seconds(2)), lastStatus.advanced(by: .seconds(2))) }
            await stop.wait(until: wake)
            if stop.fired { break }
            if let deadline, ContinuousClock.now >= deadline { break }
            if demo && ContinuousClock.now - lastStatus >= .seconds(2) {
                lastStatus = .now
                let s = await daemon.status()
                let g = generator!.summary
                print("[\(Int((ContinuousClock.now - started).components.seconds))s] \(s.line) | checked \(g.completed) ok, \(g.failed) failed")
            }
        }
        generator?.stop()
        await loadTask?.value
        await daemon.stop()
        if let g = generator?.summary {
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
}

/// SIGTERM/SIGINT → a flag, and a wake-up for the serve loop sleeping in ``wait(until:)``.
final class SignalWaiter: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private struct State {
        var fired = false
        var sleeper: Task<Void, Never>?
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())
    var fired: Bool { state.withLock { $0.fired } }

    init() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
    }

    private func fire() {
        let (sleeper, waiter) = state.withLock { s in
            s.fired = true
            defer { s.sleeper = nil; s.waiter = nil }
            return (s.sleeper, s.waiter)
        }
        sleeper?.cancel()
        waiter?.resume()
    }

    /// Returns at `deadline` (nil: never) or as soon as a signal arrives.
    func wait(until deadline: ContinuousClock.Instant?) async {
        if let deadline {
            let sleeper = Task<Void, Never> { _ = try? await Task.sleep(until: deadline, clock: .continuous) }
            let fired = state.withLock { s in
                if !s.fired { s.sleeper = sleeper }
                return s.fired
            }
            if fired { sleeper.cancel() }
            await sleeper.value
            state.withLock { $0.sleeper = nil }
        } else {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let fired = state.withLock { s in
                    if !s.fired { s.waiter = c }
                    return s.fired
                }
                if fired { c.resume() }
            }
        }
    }
}

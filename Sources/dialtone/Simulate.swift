// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import DialtoneLineSim
import DialtoneSpans
import Foundation
import Logging

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach the line simulator from this process to a running daemon's `peer: socket:PATH` spans and offer calls.",
        discussion: "For every span of the config whose peer is socket:PATH, attaches to PATH in the opposite role (the public network toward CPE spans, agent stations toward NET spans), places calls with distinct ANI/DNIS, checks pattern audio both ways and prints `N passed, M failed`.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Calls to place.")
    var calls = 20

    @Option(help: "Calls per second.")
    var rate = 10.0

    @Option(help: "Seconds each call stays connected.")
    var hold = 0.5

    @Option(help: "Calls at once at most.")
    var maxCalls = 30

    @Option(help: "Dial this number on every call (default: numbers the config routes to the agent spans). The stations may then see another number (a queue calls them by theirs).")
    var number: String?

    @Flag(help: "Stop as soon as a D-channel goes down (the daemon died): print how many calls the network took and answered, exit 3.")
    var untilLinkDown = false

    @Option(help: "Instead of the load: one call to --number that sends this TIFF as a fax machine does (CNG first); prints the T.30 result.")
    var faxSend: String?

    @Option(help: "Instead of the load: one call to --number that receives a fax into this TIFF (the machine's start key pressed to receive).")
    var faxReceive: String?

    @Option(help: "Instead of the load: one call to --number that, once answered, keys these digits in band (SpanDSP's DTMF generator), then any --keypad digits, stays --hold seconds and hangs up.")
    var dtmf: String?

    @Option(help: "Instead of the load: one call to --number that, once answered, sends these digits as Q.931 keypad facility IEs (one INFORMATION each, 200 ms apart), after any --dtmf digits.")
    var keypad: String?

    @Option(help: "With --dtmf: each tone's and each pause's length (ms).")
    var dtmfMs = 80

    @Option(help: "With --dtmf: the level of each of a digit's two tones (dBm0).")
    var dtmfLevel = -10

    @Option(help: "Stations at these numbers answer as fax machines receiving into --fax-directory (repeatable).")
    var faxNumber: [String] = []

    @Option(help: "Where the fax machines of --fax-number put what they receive.")
    var faxDirectory = "."

    @Option(help: "Stations at these numbers are busy (cause 17; repeatable).")
    var busyNumber: [String] = []

    @Option(help: "Stations at these numbers ring and never answer (repeatable).")
    var noAnswerNumber: [String] = []

    @Option(help: "With --fax-number, --busy-number or --no-answer-number and no load: stay this many seconds answering, printing each fax received as it ends.")
    var stationSeconds = 0.0

    @Flag(help: "Print fax results as JSON (one object per line).")
    var json = false

    @Option(help: "Log level.")
    var logLevel = "warning"

    func validate() throws {
        if faxSend != nil || faxReceive != nil {
            guard number != nil else { throw ValidationError("--fax-send and --fax-receive need --number") }
            guard faxSend == nil || faxReceive == nil else { throw ValidationError("--fax-send or --fax-receive, not both") }
        }
        if dtmf != nil || keypad != nil {
            guard number != nil else { throw ValidationError("--dtmf and --keypad need --number") }
            guard faxSend == nil && faxReceive == nil else { throw ValidationError("--dtmf/--keypad or a fax, not both") }
            for (name, digits) in [("--dtmf", dtmf), ("--keypad", keypad)] {
                if let digits, digits.isEmpty || digits.count > 64 || !digits.allSatisfy({ "0123456789*#ABCD".contains($0) }) {
                    throw ValidationError("\(name) must be 1 to 64 of 0-9, *, #, A-D")
                }
            }
            guard (40...1000).contains(dtmfMs) else { throw ValidationError("--dtmf-ms must be 40 to 1000") }
            guard (-45 ... -3).contains(dtmfLevel) else { throw ValidationError("--dtmf-level must be -45 to -3 dBm0") }
        }
        if let number, number.isEmpty || number.count > 32 || !number.allSatisfy({ "0123456789*#+".contains($0) }) {
            throw ValidationError("--number must be 1 to 32 of 0-9, *, # or +")
        }
    }

    func run() async throws {
        let config = try options.load()
        Log.bootstrap(level: logLevel)
        let logger = Logger(label: "dialtone.simulate")
        var ports: [LineSimulator.Port] = []
        var clients: [SocketSpan] = []
        for s in config.spans {
            guard case .socket(let path) = s.peer else { continue }
            let span = SocketSpan(client: "\(s.name)-far", type: s.type, law: s.law, path: path)
            do { try span.start() } catch {
                printError("dialtone simulate: \(error) — is `dialtone serve` running with this config?")
                throw ExitCode(2)
            }
            clients.append(span)
            ports.append(.init(span: span, role: s.role.opposite, switchType: s.switchType))
        }
        guard let first = clients.first else {
            throw ValidationError("no span in \(options.config) has `peer: socket:PATH`")
        }
        let sim = LineSimulator(ports: ports, clock: first.frameClock, logger: logger)
        // The stations are set before the links come up: a call may come at once.
        for n in faxNumber { await sim.setBehaviour(.faxMachine(.receive(directory: faxDirectory)), number: n) }
        for n in busyNumber { await sim.setBehaviour(.busy, number: n) }
        for n in noAnswerNumber { await sim.setBehaviour(.noAnswer, number: n) }
        try sim.start()
        guard await sim.waitForLinks() else {
            printError("dialtone simulate: D-channels did not come up")
            throw ExitCode(1)
        }
        let inbound = config.spans.filter { $0.role == .cpe && { if case .socket = $0.peer { true } else { false } }($0) }.map { "\($0.name)-far" }
        if faxSend != nil || faxReceive != nil {
            let ok = await SimulatedFax.run(sim, port: inbound.first ?? "", number: number!, send: faxSend, receive: faxReceive, json: json)
            sim.stop()
            for c in clients { c.stop() }
            if !ok { throw ExitCode(1) }
            return
        }
        if dtmf != nil || keypad != nil {
            let ok = await SimulatedDigits.run(sim, port: inbound.first ?? "", number: number!, dtmf: dtmf ?? "", keypad: keypad ?? "",
                                               toneMs: dtmfMs, level: dtmfLevel, hold: hold)
            sim.stop()
            for c in clients { c.stop() }
            if !ok { throw ExitCode(1) }
            return
        }
        if stationSeconds > 0 {
            // Each fax a station's machine finishes is printed as it ends.
            var printed: [String: Int] = [:]
            let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(stationSeconds * 1000)))
            while ContinuousClock.now < deadline {
                for n in faxNumber {
                    let results = await sim.faxResults(number: n)
                    for r in results.dropFirst(printed[n] ?? 0) { SimulatedFax.print(r, number: n, json: json) }
                    printed[n] = results.count
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
            sim.stop()
            for c in clients { c.stop() }
            return
        }
        let fixed = number
        let generator = LoadGenerator(simulator: sim, ports: inbound, number: { fixed ?? LoopbackScenarios.number($0, config: config) },
                                      callsPerSecond: rate, holdSeconds: hold, maxCalls: maxCalls, limit: calls,
                                      checkDNIS: fixed == nil)
        let load = Task { await generator.run() }
        if untilLinkDown {
            let watch = Task {
                while !Task.isCancelled {
                    if !sim.linksUp { return true }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return false
            }
            let done = Task { await load.value; watch.cancel() }
            if await watch.value {
                let s = generator.summary
                print("simulate: link down; the network took \(s.proceeding) calls, answered \(s.connected), \(s.completed) completed")
                print("started: \(s.proceeding) proceeding, \(s.connected) connected")
                fflush(nil)
                Foundation.exit(3)
            }
            await done.value
        }
        await load.value
        sim.stop()
        for c in clients { c.stop() }
        let s = generator.summary
        print("simulate: \(s)")
        print("started: \(s.proceeding) proceeding, \(s.connected) connected")
        print("\(s.completed) passed, \(s.failed) failed")
        if s.failed > 0 || s.completed != calls { throw ExitCode(1) }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import Foundation
import Logging

struct Loopback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the loopback scenarios against a daemon on looped spans; prints `N passed, M failed`.",
        discussion: "Starts the daemon from the config in this process with the line simulator on every `peer: simulator` span, then runs: D-channels up, N calls with distinct ANI/DNIS and bit-exact audio both ways, clearing from each side, unallocated number, a full span per inbound span, all-circuits-busy (cause 34) and a D-channel drop with recovery.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Calls in the main call scenario.")
    var calls = 200

    @Option(help: "Log level.")
    var logLevel = "warning"

    @Option(help: "Capture D-channel frames to this pcap file.")
    var pcap: String?

    @Flag(help: "The battery for DAHDI loopback spans (peer: dahdi:SPAN:BASE): no virtual cable to pull.")
    var hardware = false

    @Option(help: "With --hardware: the dahdi_cfg configuration of the looped spans, to restore a span the alarm scenario unassigns (the scenario runs only when given).")
    var dahdiConf: String?

    func run() async throws {
        var config = try options.load()
        config.simulator.callsPerSecond = 0
        Log.bootstrap(level: logLevel)
        let daemon = try Daemon(config: config, logger: Logger(label: "dialtone"), pcapPath: pcap)
        try daemon.start()
        let scenarios = try LoopbackScenarios(daemon: daemon)
        let results = hardware ? await scenarios.runHardware(calls: calls, dahdiConf: dahdiConf) { print($0); fflush(nil) }
                               : await scenarios.runAll(calls: calls) { print($0); fflush(nil) }
        await daemon.stop(drain: .seconds(2))
        let passed = results.filter(\.passed).count
        print("\(passed) passed, \(results.count - passed) failed")
        if passed != results.count { throw ExitCode(1) }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneTestKit
import DialtoneLineSim
import DialtoneSpans
import Foundation

struct LineTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linetest",
        abstract: "Line test tools for testers (run with the daemon stopped): pattern loop, timing, maintenance loops.",
        subcommands: [Pattern.self, Timing.self, Maint.self])

    struct SpanOptions: ParsableArguments {
        @OptionGroup var options: ConfigOption
        @Option(help: "Span name from the config.")
        var span: String
        @Option(help: "B-channel (Q.931 number); default: the span's first.")
        var channel: Int?
    }

    struct Pattern: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a pseudo-random pattern on a B-channel and count bit errors and slips where it comes back (like patlooptest): toward the looped far span and back, or through a local maintenance loop.")
        @OptionGroup var span: SpanOptions
        @Option(help: "Seconds per direction.")
        var seconds = 10.0
        @Flag(help: "Loop the span locally (DAHDI_MAINT local loop) and receive on the same channel.")
        var localLoop = false

        func run() throws {
            let config = try span.options.load()
            let rig = try LineTestRig(config: config, span: span.span)
            let prime = config.daemon.bufferFrames ?? 10  // the jitter slack the daemon would use
            try rig.start()
            defer {
                if localLoop { try? rig.near.setMaintenance(.none) }
                rig.stop()
            }
            let ch = span.channel ?? rig.config.channels.first ?? 1
            var reports: [PatternLoopTest.Report] = []
            if localLoop {
                try rig.near.setMaintenance(.localLoop)
                reports.append(PatternLoopTest(tx: (rig.near, ch), rx: (rig.near, ch), seconds: seconds, clock: rig.clock, prime: prime).run())
            } else {
                guard let far = rig.far else {
                    throw ValidationError("span \(span.span) has no looped far end in the config; use --local-loop")
                }
                reports.append(PatternLoopTest(tx: (rig.near, ch), rx: (far, ch), seconds: seconds, clock: rig.clock, prime: prime).run())
                reports.append(PatternLoopTest(tx: (far, ch), rx: (rig.near, ch), seconds: seconds, clock: rig.clock, prime: prime).run())
            }
            for r in reports { print("pattern: \(r)") }
            let passed = reports.filter(\.passed).count
            print("pattern: \(passed) passed, \(reports.count - passed) failed")
            if passed != reports.count { throw ExitCode(1) }
        }
    }

    struct Timing: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how accurately 8000-sample blocks arrive on a B-channel against the host clock (like dahdi_test).")
        @OptionGroup var span: SpanOptions
        @Option(help: "Passes of 1 s.")
        var passes = 5
        @Option(help: "Fail below this average accuracy, percent.")
        var minimum = 99.0

        func run() throws {
            let config = try span.options.load()
            let rig = try LineTestRig(config: config, span: span.span)
            try rig.start()
            defer { rig.stop() }
            let ch = span.channel ?? rig.config.channels.first ?? 1
            let report = TimingTest(span: rig.near, channel: ch, passes: passes, clock: rig.clock).run()
            print(report)
            if report.passes.count < passes || report.average < minimum {
                printError("timing: \(report.passes.count)/\(passes) passes, average below \(minimum)% or no audio")
                throw ExitCode(1)
            }
        }
    }

    struct Maint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a span into a maintenance loop (local, network) or back to normal (none).")
        @OptionGroup var options: ConfigOption
        @Option(help: "Span name from the config.")
        var span: String
        @Argument(help: "none, local or network.")
        var mode: String

        func run() throws {
            guard let m = MaintenanceMode(rawValue: mode) else {
                throw ValidationError("mode is none, local or network")
            }
            let rig = try LineTestRig(config: try options.load(), span: span)
            try rig.start()
            defer { rig.stop() }
            do {
                try rig.near.setMaintenance(m)
                print("span \(span): maintenance \(m.rawValue)")
            } catch {
                printError("span \(span): \(error)")
                throw ExitCode(1)
            }
        }
    }
}

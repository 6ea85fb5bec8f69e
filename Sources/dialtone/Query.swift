// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
import DialtoneSpans
import DialtoneStore
import DialtoneSwitch
import Foundation

/// Options for commands that talk to a running daemon.
struct DaemonConnection: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (to find the control socket).")
    var config: String = ConfigLoader.defaultPath

    @Option(help: "Control socket path (overrides the config).")
    var socket: String?

    @Flag(help: "Print the daemon's JSON reply as is.")
    var json = false

    /// The control socket: --socket, or the config's.
    func socketPath() throws -> String {
        if let socket { return socket }
        do { return try ConfigLoader.load(path: config).daemon.controlSocket } catch { throw ValidationError("\(error)") }
    }

    func request(_ line: String) throws -> Data {
        let path = try socketPath()
        do { return try ControlClient.request(line, socketPath: path) } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}

func decoder() -> JSONDecoder {
    let d = JSONDecoder()
    d.dateDecodingStrategy = .iso8601
    return d
}

func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

struct Spans: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the DAHDI driver's cards and spans on this host, and the running daemon's spans with D-channel and alarm state.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        if !connection.json { printKernelSpans() }
        let data = try connection.request("spans")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let spans = try decoder().decode([SpanStatus].self, from: data)
        print(table(["SPAN", "TYPE", "ROLE", "SWITCHTYPE", "LAW", "FRAMING/CODING", "ALARMS", "D-CHAN", "BUSY", "WHERE"],
                    spans.map { [$0.name, $0.type, $0.role, $0.switchType, $0.law, "\($0.framing)/\($0.coding)", $0.alarms,
                                 $0.dchannelUp ? "up" : "down", "\($0.busy)/\($0.channels)", $0.identity] }))
    }
}

struct Calls: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the running daemon's calls.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let data = try connection.request("calls")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let calls = try decoder().decode([CallSummary].self, from: data)
        if calls.isEmpty { print("no calls"); return }
        print(table(["CALL", "STATE", "ANI", "DNIS", "IN", "OUT", "SINCE", "REC"],
                    calls.map { c in
                        [c.id, c.state, c.ani, c.dnis, "\(c.inSpan)/\(c.inChannel.map(String.init) ?? "-") \(c.inState)",
                         c.outSpan.map { "\($0)/\(c.outChannel.map(String.init) ?? "-") \(c.outState ?? "")" } ?? "-",
                         String(format: "%.1fs", Date().timeIntervalSince(c.start)), c.recording ? "yes" : "-"]
                    }))
    }
}

/// `dialtone stats` (the default subcommand): the running daemon's counters.
struct StatsCounters: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "counters", abstract: "Show the running daemon's counters (the default).")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let data = try connection.request("stats")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        print(try decoder().decode(DaemonStatus.self, from: data).line)
    }
}

extension Spans {
    /// The kernel driver's spans, marked with the config span that uses each.
    func printKernelSpans() {
        let discovery = DAHDIDiscovery()
        let kernel = discovery.spans()
        let config = try? ConfigLoader.load(path: connection.config)
        func user(_ n: Int) -> String {
            guard let config else { return "" }
            for s in config.spans where s.driver == .dahdi {
                if s.dahdiSpan == n { return s.name }
                if case .dahdiLoop(let far, _) = s.peer, far == n { return "\(s.name) (far end, simulator)" }
            }
            return "-"
        }
        if kernel.isEmpty {
            print("DAHDI: \(discovery.absentReason ?? "no spans")")
        } else {
            print("DAHDI spans (kernel driver):")
            print(table(["SPAN", "NAME", "TYPE", "LINE", "ALARMS", "CHANNELS", "DIALTONE", "CARD"],
                        kernel.map { ["\($0.number)", $0.name, $0.type, $0.lineConfig, "\($0.alarms)",
                                      "\($0.channelRange.lowerBound)-\($0.channelRange.upperBound)", user($0.number),
                                      $0.device.isEmpty ? $0.description : $0.device] }))
        }
        print("")
    }
}

struct Rescan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell the running daemon to look at the DAHDI driver's spans now (run by the udev rule when a span is added or removed).")
    @OptionGroup var connection: DaemonConnection
    @Argument(help: "What udev saw (e.g. `add span-3`); logged only.")
    var event: [String] = []

    func run() throws {
        let data = try connection.request("rescan")
        let reply = try decoder().decode(KernelSpans.self, from: data)
        print("daemon sees \(reply.spans.count) DAHDI span(s)\(event.isEmpty ? "" : " after \(event.joined(separator: " "))")")
    }
}

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start recording a connected call now (on demand).")
    @OptionGroup var connection: DaemonConnection
    @Argument(help: "The call's id (see `dialtone calls`).")
    var callID: String

    func run() throws {
        let data = try connection.request("record \(callID)")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let reply = try JSONDecoder().decode([String: String].self, from: data)
        if let error = reply["error"] {
            printError(error)
            throw ExitCode(1)
        }
        print("recording \(callID)")
    }
}

struct Recordings: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the latest recordings (from the store).")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let data = try connection.request("recordings")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let rows = try decoder().decode([RecordingRow].self, from: data)
        if rows.isEmpty { print("no recordings"); return }
        print(table(["CALL", "SECONDS", "FORMAT", "COMPLETE", "PATH"],
                    rows.map { [$0.callID, String(format: "%.1f", Double($0.durationMs) / 1000), "\($0.format) \($0.layout)",
                                $0.complete ? "yes" : "NO: \($0.problem ?? "?")", $0.path] }))
    }
}

struct Alarms: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the running daemon's alarms: raised now, and cleared since it started.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let data = try connection.request("alarms")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let list = try decoder().decode(AlarmList.self, from: data)
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        if list.active.isEmpty { print("no alarms raised") } else {
            print(table(["RAISED", "ALARM", "SUBJECT", "REPORTS", "DETAIL"],
                        list.active.map { [f.string(from: $0.raised), $0.kind, $0.subject, "\($0.count)", $0.detail] }))
        }
        if !list.cleared.isEmpty {
            print("")
            print("cleared since start:")
            print(table(["RAISED", "CLEARED", "ALARM", "SUBJECT", "REPORTS"],
                        list.cleared.map { [f.string(from: $0.raised), $0.cleared.map { f.string(from: $0) } ?? "-", $0.kind,
                                            $0.subject, "\($0.count)"] }))
        }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the running daemon re-read its config (as SIGHUP does): routes, menus, schedules, recording policy, prompts.",
        discussion: "Calls in progress are not touched. A config that does not load is refused with its file:line:column and the running one stays; a change to spans, tone sets or the daemon section needs a restart and is refused with that reason. Exit status 1 when refused.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let data = try connection.request("reload")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: "") }
        let result = try decoder().decode(ReloadResult.self, from: data)
        if result.applied {
            if !connection.json { print("reloaded: \(result.changes.isEmpty ? "no changes" : result.changes.joined(separator: ", "))") }
        } else {
            printError("dialtone reload: refused: \(result.error ?? "unknown reason")")
            throw ExitCode(1)
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneDaemon
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

    func request(_ line: String) throws -> Data {
        let path: String
        if let socket {
            path = socket
        } else {
            do { path = try ConfigLoader.load(path: config).daemon.controlSocket } catch { throw ValidationError("\(error)") }
        }
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
    static let configuration = CommandConfiguration(abstract: "List the running daemon's spans, D-channel and alarm state.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
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
        print(table(["CALL", "STATE", "ANI", "DNIS", "IN", "OUT", "SINCE"],
                    calls.map { c in
                        [c.id, c.state, c.ani, c.dnis, "\(c.inSpan)/\(c.inChannel.map(String.init) ?? "-") \(c.inState)",
                         c.outSpan.map { "\($0)/\(c.outChannel.map(String.init) ?? "-") \(c.outState ?? "")" } ?? "-",
                         String(format: "%.1fs", Date().timeIntervalSince(c.start))]
                    }))
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the running daemon's counters.")
    @OptionGroup var connection: DaemonConnection

    func run() throws {
        let data = try connection.request("stats")
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        print(try decoder().decode(DaemonStatus.self, from: data).line)
    }
}

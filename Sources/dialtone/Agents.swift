// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneDaemon
import Foundation

/// `dialtone agents`: the ACD's agents, and agent control (login, logout,
/// ready, pause with a reason, end of wrap-up) through the control socket.
struct Agents: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the ACD's agents, or control one: login, logout, ready, pause, unpause, pause-after, logout-after, end-wrapup.",
        discussion: """
        dialtone agents                       every agent and its state
        dialtone agents login 1001            log agent 1001 in at its configured station (dial stations only; \
        agents on a persistent line log in by calling the agent line)
        dialtone agents pause 1001 lunch      pause with a reason code (while busy: after this call)
        dialtone agents end-wrapup 1001       end the wrap-up now
        Exit status 1 when the daemon refuses the command (the reason is printed).
        """)
    @OptionGroup var connection: DaemonConnection

    @Argument(help: "Command (\(AgentRequest.commands.joined(separator: ", "))), then the agent number and a reason for pauses.")
    var words: [String] = []

    func validate() throws {
        guard let first = words.first else { return }
        guard AgentRequest.commands.contains(first) else {
            throw ValidationError("unknown agent command '\(first)' (commands: \(AgentRequest.commands.joined(separator: ", ")))")
        }
        guard words.count >= 2 else { throw ValidationError("'\(first)' needs an agent number") }
    }

    func run() throws {
        let line = words.isEmpty ? "agents" : (["agent", words[1], words[0]] + words.dropFirst(2)).joined(separator: " ")
        let data = try connection.request(line)
        if let e = try? decoder().decode(ControlErrorReply.self, from: data) {
            printError("dialtone agents: \(e.error)")
            throw ExitCode(1)
        }
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let agents = words.isEmpty ? try decoder().decode([AgentView].self, from: data) : [try decoder().decode(AgentView.self, from: data)]
        print(table(["AGENT", "NAME", "STATE", "DETAIL", "STATION", "CALLS", "TALK", "MISSED", "QUEUES"], agents.map { a in
            var detail = a.reason ?? a.item ?? ""
            if let until = a.wrapUpUntil { detail = "until \(Self.time.string(from: until))" }
            if let p = a.pendingPause { detail += (detail.isEmpty ? "" : ", ") + "pause after (\(p))" }
            if a.pendingLogout { detail += (detail.isEmpty ? "" : ", ") + "logout after" }
            return [a.id, a.name, a.state, detail, a.station, "\(a.calls)", "\(Int(a.talkSeconds))s", "\(a.missedOffers)",
                    a.queues.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")]
        }))
    }

    static let time: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()
}

/// `dialtone queues`: the ACD's queues as they stand — who waits, for how long, and the agents free.
struct Queues: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the ACD's queues now: calls waiting, callbacks and messages in line, agents logged in and free.",
        discussion: "With --items, every work item in line in order. Statistics over a period: dialtone stats queues.")
    @OptionGroup var connection: DaemonConnection

    @Flag(help: "List every work item in line.")
    var items = false

    func run() throws {
        let data = try connection.request("queues")
        if let e = try? decoder().decode(ControlErrorReply.self, from: data) {
            printError("dialtone queues: \(e.error)")
            throw ExitCode(1)
        }
        if connection.json { print(String(decoding: data, as: UTF8.self), terminator: ""); return }
        let queues = try decoder().decode([QueueView].self, from: data)
        print(table(["QUEUE", "STRATEGY", "WAITING", "LONGEST", "CALLBACKS", "MESSAGES", "LOGGED-IN", "FREE", "SL"], queues.map { q in
            [q.name, q.strategy, "\(q.callsWaiting)", "\(Int(q.longestWaitSeconds))s", "\(q.callbacks)", "\(q.messages)",
             "\(q.loggedIn)", "\(q.free)", q.serviceLevel.map { String(format: "%.0f%%", $0 * 100) } ?? "-"]
        }))
        guard items else { return }
        for q in queues where !q.items.isEmpty {
            print("\n\(q.name):")
            print(table(["POS", "ITEM", "KIND", "WAIT", "PRIO", "STATE"], q.items.map { i in
                ["\(i.position)", i.id, i.kind + (i.recording ? " (recording)" : ""), "\(Int(i.waitSeconds))s", "\(i.priority)",
                 i.state + (i.agents.map { " " + $0.joined(separator: ",") } ?? "")]
            }))
        }
    }
}

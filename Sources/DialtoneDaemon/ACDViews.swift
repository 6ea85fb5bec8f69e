// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneApps
import DialtoneSwitch
import Foundation

/// An agent as the control socket shows it (`agents`, `agent ID …`).
public struct AgentView: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// logged-out, ready, offered, busy, wrap-up, paused.
    public var state: String
    /// The pause's reason code.
    public var reason: String?
    /// The work item offered or being handled.
    public var item: String?
    /// When wrap-up ends.
    public var wrapUpUntil: Date?
    /// The dial station's number, or `line`.
    public var station: String
    /// Queue → skill level.
    public var queues: [String: Int]
    public var calls: Int
    public var talkSeconds: Double
    public var missedOffers: Int
    public var pendingPause: String?
    public var pendingLogout: Bool
    public var loginTime: Date?

    init(_ s: AgentStatus) {
        id = s.id
        name = s.name
        switch s.state {
        case .loggedOut: state = "logged-out"
        case .ready: state = "ready"
        case .offered(let i): state = "offered"; item = i
        case .busy(let i): state = "busy"; item = i
        case .wrapUp(let until): state = "wrap-up"; wrapUpUntil = until
        case .paused(let r): state = "paused"; reason = r
        }
        switch s.station {
        case .dial(let n): station = n
        case .line: station = "line"
        }
        queues = s.queues
        calls = s.calls
        talkSeconds = (s.talkTime * 10).rounded() / 10
        missedOffers = s.totalMisses
        pendingPause = s.pendingPause
        pendingLogout = s.pendingLogout
        loginTime = s.loginTime
    }
}

/// A queue as the control socket shows it (`queues`).
public struct QueueView: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var id: String
        /// call, callback, message.
        public var kind: String
        public var position: Int
        public var waitSeconds: Double
        public var priority: Int
        /// waiting, scheduled, offered.
        public var state: String
        public var agents: [String]?
        public var due: Date?
        public var recording: Bool
    }
    public var name: String
    public var strategy: String
    public var callsWaiting: Int
    public var callbacks: Int
    public var messages: Int
    public var loggedIn: Int
    public var free: Int
    public var longestWaitSeconds: Double
    /// Answered within the service level ÷ answered, since start.
    public var serviceLevel: Double?
    public var averageHandleSeconds: Double?
    public var items: [Item]

    init(_ s: QueueStatus) {
        name = s.name
        strategy = s.strategy.rawValue
        callsWaiting = s.callsWaiting
        callbacks = s.callbacks
        messages = s.messages
        loggedIn = s.loggedIn
        free = s.free
        serviceLevel = s.serviceLevel
        averageHandleSeconds = s.averageHandle.map { ($0 * 10).rounded() / 10 }
        items = s.items.map { i in
            var kind = "call"
            switch i.kind {
            case .call: break
            case .callback: kind = "callback"
            case .message: kind = "message"
            case .fax: kind = "fax"
            }
            var state = "waiting", agents: [String]?, due: Date?
            switch i.state {
            case .waiting: break
            case .scheduled(let d): state = "scheduled"; due = d
            case .offered(let a): state = "offered"; agents = a
            }
            return Item(id: i.id, kind: kind, position: i.position, waitSeconds: (i.wait * 10).rounded() / 10, priority: i.priority,
                        state: state, agents: agents, due: due, recording: i.recording)
        }
        longestWaitSeconds = items.filter { $0.kind == "call" }.map(\.waitSeconds).max() ?? 0
    }
}

/// `agent ID COMMAND [REASON]`: what the control socket and `dialtone agents` send.
public enum AgentRequest {
    public static let commands = ["login", "logout", "ready", "pause", "unpause", "pause-after", "logout-after", "end-wrapup", "show"]

    /// The agent and the command, or why the line is not one.
    public static func parse(_ line: String) -> Result<(agent: String, command: AgentCommand?), CallControlError> {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 3, words[0] == "agent" else { return .failure(.invalid("usage: agent ID COMMAND [REASON]")) }
        let id = words[1]
        guard id.count <= 12, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(.invalid("'\(id)' is not an agent number")) }
        let reason = words.count > 3 ? words[3...].joined(separator: " ") : ""
        guard reason.count <= 64, reason.allSatisfy({ $0.isLetter || $0.isNumber || " -_.".contains($0) }) else {
            return .failure(.invalid("a reason is at most 64 letters, digits, spaces, '-', '_' or '.'"))
        }
        let command: AgentCommand?
        switch words[2] {
        case "login": command = .login(station: nil)
        case "logout": command = .logout
        case "ready": command = .ready
        case "pause": command = .pause(reason: reason.isEmpty ? "break" : reason)
        case "unpause": command = .unpause
        case "pause-after": command = .pauseAfterCall(reason: reason.isEmpty ? "break" : reason)
        case "logout-after": command = .logoutAfterCall
        case "end-wrapup": command = .endWrapUp
        case "show": command = nil
        default:
            return .failure(.invalid("unknown agent command '\(words[2])' (commands: \(commands.joined(separator: ", ")))"))
        }
        if command == nil || reason.isEmpty || words[2].hasPrefix("pause") { return .success((id, command)) }
        return .failure(.invalid("'\(words[2])' takes no reason"))
    }
}

extension ControlServer {
    /// `agents`, `queues`, `agent ID COMMAND`: nil when the request is none of these.
    static func acdQuery(_ request: String, daemon: Daemon) async -> Data? {
        guard request == "agents" || request == "queues" || request.hasPrefix("agent ") else { return nil }
        guard let acd = daemon.acd else {
            return ControlReply.error("no queues are configured (applications of type queue)", code: "not-configured")
        }
        switch request {
        case "agents":
            var out: [AgentView] = []
            for id in await acd.agentIDs() { if let s = await acd.agentStatus(id) { out.append(AgentView(s)) } }
            return ControlReply.encode(out)
        case "queues":
            var out: [QueueView] = []
            for q in await acd.queueNames() { if let s = await acd.queueStatus(q) { out.append(QueueView(s)) } }
            return ControlReply.encode(out)
        default:
            switch AgentRequest.parse(request) {
            case .failure(let e):
                return ControlReply.error(e.description, code: e.code)
            case .success(let (agent, command)):
                do throws(CallControlError) {
                    let status: AgentStatus
                    if let command { status = try await acd.command(agent: agent, command) } else {
                        guard let s = await acd.agentStatus(agent) else { throw CallControlError.invalid("no agent \(agent)") }
                        status = s
                    }
                    return ControlReply.encode(AgentView(status))
                } catch {
                    return ControlReply.error(error.description, code: error.code)
                }
            }
        }
    }
}

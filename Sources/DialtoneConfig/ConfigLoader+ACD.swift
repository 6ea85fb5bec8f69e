// SPDX-License-Identifier: GPL-2.0-or-later
import Yams

/// What a route or an IVR action may pass to a queue: `priority=N`
/// (higher goes first; the customer's grade may raise it).
public struct QueueArgument: Sendable, Equatable {
    public var priority: Int?

    public static func parse(_ text: String) -> Result<QueueArgument, QueueArgumentError> {
        var out = QueueArgument()
        for word in text.split(separator: " ") where !word.isEmpty {
            let kv = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, kv[0] == "priority", let p = Int(kv[1]), (-100...100).contains(p) else {
                return .failure(QueueArgumentError(text: "'\(word)' is not a queue argument (priority=N, N from -100 to 100)"))
            }
            out.priority = p
        }
        return .success(out)
    }
}

public struct QueueArgumentError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { text }
}

extension ConfigLoader {
    static let queueKeys = ["type", "strategy", "members", "offer_timeout", "wrap_up", "max_wait", "max_length", "overflow",
                            "auto_pause_after", "assigned_wait", "music", "announce_every", "announce_position",
                            "announce_wait", "service_level", "message_key", "callback_key", "callback_retries",
                            "callback_retry_interval", "callback_expiry", "message_max", "priority", "grade_priority"]
    static let agentKeys = ["name", "pin", "station", "skills", "logged_in"]

    static func parseQueue(_ m: [String: (key: Node, value: Node)], _ path: String, _ r: YAMLReader,
                           _ refs: References) throws(ConfigError) -> QueueConfig {
        var q = QueueConfig()
        if let v = m["strategy"] {
            let s = try r.string(v.value, "\(path).strategy")
            guard QueueConfig.strategies.contains(s) else {
                var message = "unknown strategy '\(s)'"
                if let near = YAMLReader.closest(s, in: QueueConfig.strategies) { message += "; did you mean '\(near)'?" }
                throw r.error(v.value, "\(path).strategy", message + " (strategies: \(QueueConfig.strategies.joined(separator: ", ")))")
            }
            q.strategy = s
        }
        if let v = m["members"] {
            q.members = try r.sequence(v.value, "\(path).members").enumerated().map { (i, n) throws(ConfigError) in
                try agentID(n, "\(path).members[\(i)]", r)
            }
        }
        if let v = m["offer_timeout"] { q.offerTimeout = try r.double(v.value, "\(path).offer_timeout", range: 3...600, unit: "s") }
        if let v = m["wrap_up"] { q.wrapUp = try r.double(v.value, "\(path).wrap_up", range: 0...3600, unit: "s") }
        if let v = m["max_wait"] { q.maxWait = try r.double(v.value, "\(path).max_wait", range: 1...86_400, unit: "s") }
        if let v = m["max_length"] { q.maxLength = try r.int(v.value, "\(path).max_length", range: 1...100_000) }
        if let v = m["overflow"] { q.overflow = try overflow(v.value, "\(path).overflow", r, refs) }
        if let v = m["auto_pause_after"] {
            let n = try r.int(v.value, "\(path).auto_pause_after", range: 0...100)
            q.autoPauseAfter = n == 0 ? nil : n
        }
        if let v = m["assigned_wait"] { q.assignedWait = try r.double(v.value, "\(path).assigned_wait", range: 0...86_400, unit: "s") }
        if let v = m["music"] { q.music = try promptName(v.value, "\(path).music", r, refs, language: nil) }
        else { refs.prompts.append(PromptUse(node: m["type"]!.value, key: "\(path).music", name: q.music, language: nil)) }
        if let v = m["announce_every"] {
            let s = try r.double(v.value, "\(path).announce_every", range: 0...3600, unit: "s")
            q.announceEvery = s == 0 ? nil : max(s, 10)
        }
        if let v = m["announce_position"] { q.announcePosition = try r.bool(v.value, "\(path).announce_position") }
        if let v = m["announce_wait"] { q.announceWait = try r.bool(v.value, "\(path).announce_wait") }
        if let v = m["service_level"] { q.serviceLevel = try r.double(v.value, "\(path).service_level", range: 1...3600, unit: "s") }
        if let v = m["message_key"] { q.messageKey = try key(v.value, "\(path).message_key", r) }
        if let v = m["callback_key"] { q.callbackKey = try key(v.value, "\(path).callback_key", r) }
        if let a = q.messageKey, a == q.callbackKey {
            throw r.error(m["callback_key"]?.value ?? m["message_key"]?.value, "\(path).callback_key", "the message and callback keys are both '\(a)'")
        }
        if let v = m["callback_retries"] { q.callbackRetries = try r.int(v.value, "\(path).callback_retries", range: 0...20) }
        if let v = m["callback_retry_interval"] {
            q.callbackRetryInterval = try r.double(v.value, "\(path).callback_retry_interval", range: 10...86_400, unit: "s")
        }
        if let v = m["callback_expiry"] { q.callbackExpiry = try r.double(v.value, "\(path).callback_expiry", range: 60...30 * 86_400, unit: "s") }
        if let v = m["message_max"] { q.messageMaxSeconds = try r.double(v.value, "\(path).message_max", range: 5...3600, unit: "s") }
        if let v = m["priority"] { q.priority = try r.int(v.value, "\(path).priority", range: -100...100) }
        if let v = m["grade_priority"] {
            guard case .mapping(let entries) = v.value else {
                throw r.error(v.value, "\(path).grade_priority", "expected a mapping of customer grades to priorities, e.g. {A: 10, B: 5}")
            }
            for (g, p) in entries {
                let grade = g.string ?? ""
                q.gradePriority[grade] = try r.int(p, "\(path).grade_priority.\(grade)", range: -100...100)
            }
        }
        return q
    }

    private static func overflow(_ node: Node, _ path: String, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> QueueConfig.Overflow {
        let s = try r.string(node, path)
        let words = s.split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("message", 1): return .message
        case ("callback", 1): return .callback
        case ("hangup", 1): return .hangup
        case ("queue", 2): return .queue(words[1])
        case ("application", 2), ("application", 3):
            let argument = words.count == 3 ? words[2] : ""
            refs.applications.append((node, path, words[1], argument, node))
            return .application(words[1], argument: argument)
        case ("number", 2):
            guard (1...32).contains(words[1].count), words[1].allSatisfy({ "0123456789*#".contains($0) }) else {
                throw r.error(node, path, "'\(words[1])' is not a dialable number (digits 0-9, * and #)")
            }
            return .number(words[1])
        default:
            throw r.error(node, path, "'\(s)' is not an overflow (message, callback, hangup, queue NAME, number NUMBER, application NAME [ARGUMENT])")
        }
    }

    private static func key(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> Character? {
        let s = try r.string(node, path)
        if s.isEmpty || s == "none" { return nil }
        guard s.count == 1, let c = s.first, "0123456789*#".contains(c) else {
            throw r.error(node, path, "'\(s)' is not a key (one of 0-9, * or #, or none)")
        }
        return c
    }

    private static func agentID(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> String {
        let s = try r.string(node, path)
        guard (1...12).contains(s.count), s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber) else {
            throw r.error(node, path, "'\(s)' is not an agent number (1 to 12 digits: agents key it to log in)")
        }
        return s
    }

    /// `agents: {ID: {name, pin, station: NUMBER | line, skills: {QUEUE: LEVEL}, logged_in}}`.
    static func parseAgents(_ node: Node, _ r: YAMLReader, _ refs: References,
                            applications: [String: ApplicationConfig]) throws(ConfigError) -> [AgentConfig] {
        if YAMLReader.isNull(node) { return [] }
        guard case .mapping(let entries) = node else {
            throw r.error(node, "agents", "expected a mapping of agent numbers to agents, got \(r.describe(node))")
        }
        var out: [AgentConfig] = []
        for (keyNode, value) in entries {
            let id = try agentID(keyNode, "agents", r)
            let path = "agents.\(id)"
            if out.contains(where: { $0.id == id }) { throw r.error(keyNode, path, "agent '\(id)' appears twice") }
            let m = try r.mapping(value, path, allowed: agentKeys)
            guard let st = m["station"] else {
                throw r.error(value, "\(path).station", "missing required key 'station' (a number to call, or 'line')")
            }
            let stationText = try r.string(st.value, "\(path).station")
            let station: AgentConfig.Station = stationText == "line" ? .line : .dial(try routeNumber(st.value, "\(path).station", r, refs))
            var pin: String?
            if let v = m["pin"] {
                let p = try r.string(v.value, "\(path).pin")
                guard (4...12).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                    throw r.error(v.value, "\(path).pin", "a PIN is 4 to 12 digits")
                }
                pin = p
            }
            if station == .line, pin == nil {
                throw r.error(st.value, "\(path).pin", "an agent on a persistent line needs a 'pin' to log in")
            }
            var skills: [String: Int] = [:]
            if let v = m["skills"] {
                guard case .mapping(let pairs) = v.value else {
                    throw r.error(v.value, "\(path).skills", "expected a mapping of queue names to skill levels (1-100), e.g. {sales: 50}")
                }
                for (qn, level) in pairs {
                    let queue = qn.string ?? ""
                    guard applications[queue]?.queue != nil else {
                        let queues = applications.filter { $0.value.queue != nil }.keys.sorted()
                        var message = "no queue named '\(queue)'"
                        if let near = YAMLReader.closest(queue, in: queues) { message += "; did you mean '\(near)'?" }
                        throw r.error(qn, "\(path).skills.\(queue)", message + " (queues: \(queues.joined(separator: ", ")))")
                    }
                    skills[queue] = try r.int(level, "\(path).skills.\(queue)", range: 1...100)
                }
            }
            let name = try m["name"].map { (v) throws(ConfigError) in try r.string(v.value, "\(path).name") } ?? id
            let loggedIn = try m["logged_in"].map { (v) throws(ConfigError) in try r.bool(v.value, "\(path).logged_in") } ?? false
            out.append(AgentConfig(id: id, name: name, pin: pin, station: station, skills: skills, loggedIn: loggedIn,
                                   line: keyNode.mark?.line))
        }
        return out
    }

    /// Queues name existing queues and agents; members have a skill for their queue (or get level 1).
    static func checkQueues(_ config: inout DialtoneConfig, _ r: YAMLReader, agentsNode: Node?) throws(ConfigError) {
        for (name, app) in config.applications.sorted(by: { $0.key < $1.key }) {
            guard var q = app.queue else { continue }
            if case .queue(let target)? = q.overflow, config.applications[target]?.queue == nil || target == name {
                throw ConfigError(file: r.file, line: app.line ?? 0, column: 1, key: "applications.\(name).overflow",
                                  message: "overflow to '\(target)': \(target == name ? "a queue cannot overflow to itself" : "no queue named '\(target)'")")
            }
            for m in q.members {
                guard let i = config.agents.firstIndex(where: { $0.id == m }) else {
                    throw ConfigError(file: r.file, line: app.line ?? 0, column: 1, key: "applications.\(name).members",
                                      message: "no agent '\(m)' in the agents section")
                }
                if config.agents[i].skills[name] == nil { config.agents[i].skills[name] = 1 }
            }
            if q.members.isEmpty { q.members = config.agents.filter { $0.skills[name] != nil }.map(\.id) }
            config.applications[name]?.kind = .queue(q)
        }
    }
}

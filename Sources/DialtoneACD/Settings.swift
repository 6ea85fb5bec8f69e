// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// How a queue chooses among its free agents when an item can be offered.
public enum Strategy: String, Sendable, Codable, CaseIterable, Hashable {
    /// The agent whose last call ended longest ago (or who logged in longest ago, if none since).
    case longestIdle = "longest-idle"
    /// With memory: the next free member after the one last offered a call of this queue (member order, wrapping).
    case roundRobin = "round-robin"
    /// The member who took the fewest calls of this queue (ties: longest idle).
    case fewestCalls = "fewest-calls"
    /// The member with the least talk time in this queue (ties: longest idle).
    case leastTalkTime = "least-talk-time"
    /// Every free member is offered the item at once; the first answer wins, the others are withdrawn.
    case ringAll = "ring-all"
    /// The first free member in member order.
    case linear
    /// A free member chosen by the ACD's seeded generator (deterministic for a seed and an input sequence).
    case random
    /// The free member with the highest skill level for this queue (ties: longest idle).
    case skillsWeighted = "skills-weighted"
}

/// Where an item goes when it leaves a queue by max wait, max length, or an
/// empty queue (no member logged in).
public enum Overflow: Sendable, Codable, Hashable {
    /// Into another queue: the ACD moves the item itself (logs OVERFLOW, then ENTERQUEUE there),
    /// keeping its arrival; the action is informational. After 4 hops it hangs up instead.
    case queue(String)
    /// The integrator transfers the caller to this number.
    case number(String)
    /// The integrator lets the caller leave a message (it may then `arrive` a `.message` item keeping the arrival).
    case message
    /// The integrator offers the caller a callback (it may then `arrive` a `.callback` item keeping the arrival).
    case callback
    /// The integrator hangs up (after a prompt, if it likes).
    case hangup
    /// The integrator hands the caller to an application (voice mail) with this argument.
    case application(String, argument: String)

    /// The text of the queue log's OVERFLOW target field.
    public var logTarget: String {
        switch self {
        case .queue(let q): return "queue:\(q)"
        case .number(let n): return "number:\(n)"
        case .message: return "message"
        case .callback: return "callback"
        case .hangup: return "hangup"
        case .application(let a, let arg): return arg.isEmpty ? "application:\(a)" : "application:\(a) \(arg)"
        }
    }
}

/// One queue's configuration. All durations are seconds.
public struct QueueSettings: Sendable, Codable, Equatable {
    public var name: String
    public var strategy: Strategy
    /// Members in order (linear, round-robin). Agents whose `skills` name this queue are members too,
    /// after these, in agent-id order.
    public var members: [String]
    /// How long an agent's station rings before the offer counts as not answered.
    public var offerTimeout: Double
    /// Wrap-up after each conversation of this queue (0: none).
    public var wrapUp: Double
    /// A call waiting longer leaves with EXITWITHTIMEOUT through `overflow` (hang-up if nil). Calls only.
    public var maxWait: Double?
    /// A call arriving when this many calls already wait leaves with EXITFULL. Calls only.
    public var maxLength: Int?
    /// Where items go on max wait, max length or (only when set) when no member is logged in (EXITEMPTY).
    public var overflow: Overflow?
    /// An agent who misses this many offers in a row (of this queue's items) is paused.
    public var autoPauseAfterMisses: Int?
    /// How long an agent who just missed an offer of this queue rests before being offered again (Asterisk's `retry`).
    public var retryDelay: Double
    /// How long an item with assigned agents is offered only to them before the whole queue.
    public var assignedWait: Double
    /// Period of position and expected-wait announcements to waiting callers (nil: none).
    public var announceInterval: Double?
    /// Service level threshold: an answer within this many seconds of entering counts as within service level.
    public var serviceLevel: Double
    /// Callback attempts after the first that fails.
    public var callbackRetries: Int
    /// Time between callback attempts.
    public var callbackRetryInterval: Double
    /// A callback not completed this long after it was reserved (or came due) expires (CALLBACKEXPIRED).
    public var callbackExpiry: Double

    public init(name: String, strategy: Strategy = .longestIdle, members: [String] = [], offerTimeout: Double = 15,
                wrapUp: Double = 0, maxWait: Double? = nil, maxLength: Int? = nil, overflow: Overflow? = nil,
                autoPauseAfterMisses: Int? = nil, retryDelay: Double = 5, assignedWait: Double = 30,
                announceInterval: Double? = nil, serviceLevel: Double = 20, callbackRetries: Int = 2,
                callbackRetryInterval: Double = 300, callbackExpiry: Double = 86_400) {
        self.name = name
        self.strategy = strategy
        self.members = members
        self.offerTimeout = offerTimeout
        self.wrapUp = wrapUp
        self.maxWait = maxWait
        self.maxLength = maxLength
        self.overflow = overflow
        self.autoPauseAfterMisses = autoPauseAfterMisses
        self.retryDelay = retryDelay
        self.assignedWait = assignedWait
        self.announceInterval = announceInterval
        self.serviceLevel = serviceLevel
        self.callbackRetries = callbackRetries
        self.callbackRetryInterval = callbackRetryInterval
        self.callbackExpiry = callbackExpiry
    }
}

/// Where an agent takes calls.
public enum Station: Sendable, Codable, Hashable {
    /// A number the switch calls for each offer (an extension behind a PBX).
    case dial(number: String)
    /// A persistent agent line: the agent called in and stays connected; offers are bridged to it.
    case line
}

/// One agent's configuration.
public struct AgentSettings: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    /// The default station (a login may override it).
    public var station: Station
    /// Skill level (1…100) per queue name; naming a queue makes the agent a member of it.
    public var skills: [String: Int]

    public init(id: String, name: String = "", station: Station = .line, skills: [String: Int] = [:]) {
        self.id = id
        self.name = name
        self.station = station
        self.skills = skills
    }
}

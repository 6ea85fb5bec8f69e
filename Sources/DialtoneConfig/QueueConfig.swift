// SPDX-License-Identifier: GPL-2.0-or-later

/// A queue of the `applications:` section (`type: queue`): how its callers
/// wait and how they are given to agents (docs/config.md §Queues).
public struct QueueConfig: Sendable, Equatable {
    /// The distribution strategies a queue may name.
    public static let strategies = ["longest-idle", "round-robin", "fewest-calls", "least-talk-time", "ring-all",
                                    "linear", "random", "skills-weighted"]

    /// Where a caller goes who waited too long, found the queue full, or found no agent logged in.
    public enum Overflow: Sendable, Equatable, CustomStringConvertible {
        case queue(String)
        case number(String)
        /// The caller is asked to leave a message (a work item of the queue).
        case message
        /// The caller is offered a callback that keeps their place.
        case callback
        case hangup
        /// The caller is handed to an application (a voice mail box: `application vm 6001`).
        case application(String, argument: String)

        public var description: String {
            switch self {
            case .queue(let q): "queue \(q)"
            case .number(let n): "number \(n)"
            case .application(let a, let arg): arg.isEmpty ? "application \(a)" : "application \(a) \(arg)"
            case .message: "message"
            case .callback: "callback"
            case .hangup: "hangup"
            }
        }
    }

    public var strategy = "longest-idle"
    /// The members in order (`linear`, and who serves the queue); empty: every agent with a skill for it, in config order.
    public var members: [String] = []
    /// Seconds a station rings before the offer goes to the next agent.
    public var offerTimeout: Double = 15
    /// Seconds of wrap-up after each call.
    public var wrapUp: Double = 10
    public var maxWait: Double?
    public var maxLength: Int?
    public var overflow: Overflow?
    /// Unanswered offers in a row that pause an agent (nil: never).
    public var autoPauseAfter: Int? = 3
    /// Seconds a customer's assigned agent is waited for before the whole queue may take the call.
    public var assignedWait: Double = 30
    /// What callers hear while waiting, in a loop.
    public var music = "hold"
    /// Seconds between position and expected-wait announcements (nil: none).
    public var announceEvery: Double? = 60
    public var announcePosition = true
    public var announceWait = true
    /// Answered within this many seconds counts toward the service level.
    public var serviceLevel: Double = 20
    /// The key that records a message while waiting (nil: not offered).
    public var messageKey: Character? = "1"
    /// The key that reserves a callback while waiting (nil: not offered).
    public var callbackKey: Character? = "2"
    public var callbackRetries = 3
    public var callbackRetryInterval: Double = 300
    /// Seconds after which an unserved callback is given up.
    public var callbackExpiry: Double = 86_400
    /// Longest message a caller may leave, in seconds.
    public var messageMaxSeconds: Double = 120
    /// The caller's priority when neither the route nor the customer's grade says (higher goes first).
    public var priority = 0
    /// A customer's grade → priority (e.g. A: 10).
    public var gradePriority: [String: Int] = [:]

    public init() {}
}

/// An agent of the `agents:` section: a person who logs in at a station.
public struct AgentConfig: Sendable, Equatable {
    public enum Station: Sendable, Equatable, CustomStringConvertible {
        /// A number the switch calls for each offer (an extension behind a PBX).
        case dial(String)
        /// A persistent line: the agent calls the `agent-line` application, logs in and stays connected.
        case line

        public var description: String {
            switch self {
            case .dial(let n): n
            case .line: "line"
            }
        }
    }

    /// The agent's number (keyed on the phone to log in).
    public var id: String
    public var name: String
    /// Digits keyed to log in on a persistent line.
    public var pin: String?
    public var station: Station
    /// Queue name → skill level (1–100): the queues the agent serves.
    public var skills: [String: Int]
    /// Log the agent in at start-up (when no saved state says otherwise).
    public var loggedIn: Bool
    public var line: Int?

    public init(id: String, name: String, pin: String? = nil, station: Station, skills: [String: Int],
                loggedIn: Bool = false, line: Int? = nil) {
        self.id = id
        self.name = name
        self.pin = pin
        self.station = station
        self.skills = skills
        self.loggedIn = loggedIn
        self.line = line
    }
}

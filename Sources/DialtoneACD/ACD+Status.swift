// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Where an item in line stands.
public enum ItemState: Sendable, Equatable {
    case waiting
    /// A callback not offerable before `due`.
    case scheduled(due: Date)
    /// Ringing at these agents.
    case offered(agents: [String])
}

/// A queue as a supervisor sees it.
public struct QueueStatus: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var id: String
        public var kind: WorkItem.Kind
        /// 1 = next.
        public var position: Int
        /// Seconds since it entered this queue.
        public var wait: Double
        public var priority: Int
        public var state: ItemState
        /// Still offered only to its assigned agents.
        public var assignedOnly: Bool
        /// The caller is recording a message.
        public var recording: Bool
        /// The last stage changes (at most 8), oldest first.
        public var history: [ItemTransition]
    }

    public var name: String
    public var strategy: Strategy
    /// The line, in order.
    public var items: [Item]
    /// Members in member order, with their state.
    public var agents: [(id: String, state: AgentState)]
    public var callsWaiting: Int
    public var callbacks: Int
    public var messages: Int
    public var loggedIn: Int
    /// Members free to take an offer now.
    public var free: Int
    public var counters: QueueCounters
    /// Answered within the service level ÷ answered (nil before the first answer).
    public var serviceLevel: Double?
    /// Average handle time (talk + wrap-up, exponentially weighted).
    public var averageHandle: Double?

    public static func == (a: QueueStatus, b: QueueStatus) -> Bool {
        a.name == b.name && a.items == b.items && a.agents.map(\.id) == b.agents.map(\.id)
            && a.agents.map(\.state) == b.agents.map(\.state) && a.counters == b.counters
    }
}

/// An agent as a supervisor sees it.
public struct AgentStatus: Sendable, Equatable {
    public var id: String
    public var name: String
    public var state: AgentState
    public var station: Station
    public var pendingPause: String?
    public var pendingLogout: Bool
    /// Skill level per queue the agent is a member of.
    public var queues: [String: Int]
    public var calls: Int
    public var talkTime: Double
    /// Offers missed in a row (auto-pause counts these) and in all.
    public var consecutiveMisses: Int
    public var totalMisses: Int
    public var lastCallEnd: Date?
    public var loginTime: Date?
    /// Resting after a missed offer until then.
    public var restingUntil: Date?
    /// The last state transitions (at most 8), oldest first.
    public var history: [AgentTransition]
}

extension ACD {
    /// The work item with this id while it is in a line (waiting, offered or connected), nil otherwise.
    public func item(_ id: String) -> WorkItem? { itemIndex[id].flatMap { items[$0]?.item } }

    public func queueStatus(_ name: String, now: Date) -> QueueStatus? {
        guard let q = queueIndex[name] else { return nil }
        let t = now.timeIntervalSinceReferenceDate
        let record = queues[q]
        var list: [QueueStatus.Item] = []
        var callbacks = 0, messages = 0
        for (i, key) in record.line.all.enumerated() {
            let r = items[key.slot]!
            let state: ItemState
            switch r.phase {
            case .scheduled(let due): state = .scheduled(due: Date(timeIntervalSinceReferenceDate: due))
            case .offered(let list): state = .offered(agents: list.map { agents[$0].settings.id })
            default: state = .waiting
            }
            switch r.item.kind {
            case .call: break
            case .callback: callbacks += 1
            case .message, .fax: messages += 1  // voice and fax messages
            }
            list.append(.init(id: r.item.id, kind: r.item.kind, position: i + 1, wait: t - r.entered, priority: r.item.priority,
                              state: state, assignedOnly: r.assignedOnly, recording: r.recording, history: r.history))
        }
        let c = record.counters
        return QueueStatus(
            name: name, strategy: record.settings.strategy, items: list,
            agents: record.members.map { (agents[$0].settings.id, agents[$0].state) },
            callsWaiting: record.callsInLine, callbacks: callbacks, messages: messages, loggedIn: record.loggedIn,
            free: record.free.count, counters: c,
            serviceLevel: c.answered > 0 ? Double(c.answeredWithinServiceLevel) / Double(c.answered) : nil,
            averageHandle: record.averageHandle)
    }

    /// Just the agent's state (cheaper than `agentStatus`).
    public func state(ofAgent id: String) -> AgentState? {
        agentIndex[id].map { agents[$0].state }
    }

    public func agentStatus(_ id: String, now: Date) -> AgentStatus? {
        guard let a = agentIndex[id] else { return nil }
        let r = agents[a]
        var skills: [String: Int] = [:]
        for m in r.memberships { skills[queues[m.queue].settings.name] = m.skill }
        func date(_ t: Double?) -> Date? { t.map(Date.init(timeIntervalSinceReferenceDate:)) }
        return AgentStatus(id: id, name: r.settings.name, state: r.state, station: r.station, pendingPause: r.pendingPause,
                           pendingLogout: r.pendingLogout, queues: skills, calls: r.calls, talkTime: r.talk,
                           consecutiveMisses: r.misses, totalMisses: r.totalMisses, lastCallEnd: date(r.lastCallEnd),
                           loginTime: date(r.loginTime), restingUntil: date(r.restUntil), history: r.history)
    }

    /// The expected wait announced to a caller at `position` in `queue` (see the estimate documented on announcements).
    public func expectedWait(queue name: String, position: Int) -> Double? {
        queueIndex[name].flatMap { expectedWait(queue: $0, position: position) }
    }
}

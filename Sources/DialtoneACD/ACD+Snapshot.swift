// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// What survives a restart: agents' login and pause state (and statistics),
/// callbacks and messages in line. Live calls are not in it: they die with
/// the daemon. Agents who were offered, busy or in wrap-up come back as if
/// the call and wrap-up had ended (ready, or their pending pause / logout).
public struct ACDSnapshot: Sendable, Codable, Equatable {
    public struct Agent: Sendable, Codable, Equatable {
        public var id: String
        public var loggedIn: Bool
        /// Paused with this reason (when logged in).
        public var pausedReason: String?
        public var station: Station
        public var loginTime: Date?
        public var idleSince: Date
        public var lastCallEnd: Date?
        public var calls: Int
        public var talkTime: Double
        /// Per queue: calls and talk time (fewest-calls, least-talk-time).
        public var queueCalls: [String: Int]
        public var queueTalkTime: [String: Double]
    }

    public struct Item: Sendable, Codable, Equatable {
        public var item: WorkItem
        public var entered: Date
        public var originalPosition: Int
        /// Not offerable before (a callback's due time or next attempt).
        public var due: Date?
        public var expires: Date?
        /// Offered only to its assigned agents until then.
        public var assignedUntil: Date?
        public var hops: Int
    }

    public var version = 1
    public var agents: [Agent]
    public var items: [Item]
    /// Round-robin memory: member order last offered, per queue.
    public var lastOffered: [String: Int]
    public var averageHandle: [String: Double]
}

extension ACD {
    /// The durable state, for the owner to persist (on `itemsChanged` and `agentChanged`).
    public func snapshot() -> ACDSnapshot {
        var snap = ACDSnapshot(agents: [], items: [], lastOffered: [:], averageHandle: [:])
        for r in agents {
            var loggedIn = r.isLoggedIn
            var paused: String?
            switch r.state {
            case .loggedOut, .ready: break
            case .paused(let reason): paused = reason
            case .offered, .busy, .wrapUp:
                if r.pendingLogout { loggedIn = false } else { paused = r.pendingPause }
            }
            var calls: [String: Int] = [:], talk: [String: Double] = [:]
            for m in r.memberships {
                calls[queues[m.queue].settings.name] = m.calls
                talk[queues[m.queue].settings.name] = m.talk
            }
            snap.agents.append(.init(
                id: r.settings.id, loggedIn: loggedIn, pausedReason: loggedIn ? paused : nil, station: r.station,
                loginTime: r.loginTime.map(Date.init(timeIntervalSinceReferenceDate:)),
                idleSince: Date(timeIntervalSinceReferenceDate: r.idleSince),
                lastCallEnd: r.lastCallEnd.map(Date.init(timeIntervalSinceReferenceDate:)),
                calls: r.calls, talkTime: r.talk, queueCalls: calls, queueTalkTime: talk))
        }
        for case let r? in items where r.item.kind.isDurable {
            var due: Double?
            switch r.phase {
            case .connected: continue
            case .scheduled(let d): due = d
            case .waiting, .offered, .dialling: break
            }
            snap.items.append(.init(
                item: r.item, entered: Date(timeIntervalSinceReferenceDate: r.entered), originalPosition: r.originalPosition,
                due: due.map(Date.init(timeIntervalSinceReferenceDate:)),
                expires: r.expiresAt.map(Date.init(timeIntervalSinceReferenceDate:)),
                assignedUntil: r.assignedOnly ? r.fallbackAt.map(Date.init(timeIntervalSinceReferenceDate:)) : nil,
                hops: r.hops))
        }
        snap.items.sort { $0.item.id < $1.item.id }
        for q in queues {
            if q.lastOffered >= 0 { snap.lastOffered[q.settings.name] = q.lastOffered }
            if let h = q.averageHandle { snap.averageHandle[q.settings.name] = h }
        }
        return snap
    }

    /// Restores agents and durable items (those whose agent or queue still exists in the configuration).
    mutating func restore(_ snap: ACDSnapshot) {
        for s in snap.agents {
            guard let a = agentIndex[s.id] else { continue }
            agents[a].station = s.station
            agents[a].idleSince = s.idleSince.timeIntervalSinceReferenceDate
            agents[a].lastCallEnd = s.lastCallEnd?.timeIntervalSinceReferenceDate
            agents[a].calls = s.calls
            agents[a].talk = s.talkTime
            for i in agents[a].memberships.indices {
                let name = queues[agents[a].memberships[i].queue].settings.name
                agents[a].memberships[i].calls = s.queueCalls[name] ?? 0
                agents[a].memberships[i].talk = s.queueTalkTime[name] ?? 0
            }
            guard s.loggedIn else { continue }
            agents[a].loginTime = s.loginTime?.timeIntervalSinceReferenceDate
            for m in agents[a].memberships { queues[m.queue].loggedIn += 1 }
            setAgent(a, s.pausedReason.map { .paused(reason: $0) } ?? .ready)
        }
        for s in snap.items {
            guard let q = queueIndex[s.item.queue], itemIndex[s.item.id] == nil, s.item.kind.isDurable else { continue }
            let slot = storeItem(s.item, queue: q)
            let seq = items[slot]!.seq
            items[slot]!.entered = s.entered.timeIntervalSinceReferenceDate
            items[slot]!.originalPosition = s.originalPosition
            items[slot]!.hops = s.hops
            if let due = s.due?.timeIntervalSinceReferenceDate {
                items[slot]!.phase = .scheduled(due: due)
                timers.push(due, .callbackDue(slot: slot, seq: seq))
            }
            if let e = s.expires?.timeIntervalSinceReferenceDate {
                items[slot]!.expiresAt = e
                timers.push(e, .callbackExpiry(slot: slot, seq: seq))
            }
            var seen = Set<Int>()
            items[slot]!.assigned = s.item.assignedAgents.compactMap { agentIndex[$0] }.filter { seen.insert($0).inserted }
            if let until = s.assignedUntil?.timeIntervalSinceReferenceDate, !items[slot]!.assigned.isEmpty {
                items[slot]!.assignedOnly = true
                items[slot]!.fallbackAt = until
                timers.push(until, .assignedFallback(slot: slot, seq: seq))
            }
            relist(slot)
        }
        for (name, order) in snap.lastOffered { if let q = queueIndex[name] { queues[q].lastOffered = order } }
        for (name, h) in snap.averageHandle { if let q = queueIndex[name] { queues[q].averageHandle = h } }
        out.removeAll()
        durableChanged = false
        restoredPending = !dirtyAgents.isEmpty || !dirtyItems.isEmpty
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation

/// Sums of one queue's (or one hour's) events, turned into figures at the end.
struct QueueTally {
    var offered = 0, answered = 0, abandoned = 0, completed = 0
    var callbacks = 0, messages = 0, overflows = 0, exits = 0
    var holds: [Double] = []
    var talk = 0.0, wrap = 0.0, longestWait = 0.0

    /// Kinds that are about calls (agent-only events are left to the agent figures, except wrap-up).
    static func counts(_ kind: QueueEvent.Kind) -> Bool {
        switch kind {
        case .agentLogin, .agentLogoff, .pause, .unpause, .ringNoAnswer, .callbackAttempt, .callbackExpired: false
        default: true
        }
    }

    mutating func add(_ e: QueueEvent, wrap w: Double?) {
        func waited(_ field: Int) { longestWait = max(longestWait, e.number(field)) }
        switch e.kind {
        case .enterQueue: offered += 1
        case .connect:
            answered += 1
            holds.append(e.number(0))
            waited(0)
        case .abandon: abandoned += 1; waited(2)
        case .exitWithTimeout, .exitFull, .exitEmpty: exits += 1; waited(2)
        case .exitWithKey: exits += 1; waited(3)
        case .overflow: overflows += 1; waited(3)
        case .callbackRequested: callbacks += 1; waited(2)
        case .message: messages += 1; waited(3)
        case .completeAgent, .completeCaller: completed += 1; talk += e.number(1)
        case .transfer: completed += 1; talk += e.number(3)
        case .wrapUp: wrap += w ?? 0
        default: break
        }
    }

    func figures(_ name: String, serviceLevel: Double) -> QueueStatistics.QueueFigures {
        var f = QueueStatistics.QueueFigures(queue: name)
        f.offered = offered
        f.answered = answered
        f.abandoned = abandoned
        f.abandonRate = offered > 0 ? Double(abandoned) / Double(offered) : 0
        f.answeredWithinServiceLevel = holds.filter { $0 <= serviceLevel }.count
        f.serviceLevel = answered + abandoned > 0 ? Double(f.answeredWithinServiceLevel) / Double(answered + abandoned) : 0
        f.asa = holds.isEmpty ? 0 : holds.reduce(0, +) / Double(holds.count)
        f.completed = completed
        f.talkTime = talk
        f.wrapUpTime = wrap
        f.aht = completed > 0 ? (talk + wrap) / Double(completed) : 0
        f.longestWait = longestWait
        f.callbacks = callbacks
        f.messages = messages
        f.overflows = overflows
        f.exits = exits
        return f
    }
}

extension QueueStatistics {
    /// Per-agent figures from the agents' events in time order.
    static func agentFigures(_ events: [QueueEvent], wraps: [Int: Double], from: Date, to: Date) -> [AgentFigures] {
        struct State {
            var figures: AgentFigures
            var loggedInSince: Date?
            var paused: (since: Date, reason: String)?
            var seen = false
        }
        var agents: [String: State] = [:]
        func closePause(_ s: inout State, at t: Date) {
            guard let p = s.paused else { return }
            let d = t.timeIntervalSince(p.since)
            s.figures.pausedTime += d
            s.figures.pausedByReason[p.reason, default: 0] += d
            s.paused = nil
        }
        for (i, e) in events.enumerated() where e.agent != "NONE" {
            var s = agents[e.agent] ?? State(figures: AgentFigures(agent: e.agent))
            if !s.seen {
                s.seen = true
                // Active before the period began: logged in (and paused, if unpaused now) since its start.
                if e.kind != .agentLogin { s.loggedInSince = from }
                if e.kind == .unpause { s.paused = (from, e.data.first ?? "") }
            }
            switch e.kind {
            case .agentLogin:
                if s.loggedInSince == nil { s.loggedInSince = e.time }
            case .agentLogoff:
                closePause(&s, at: e.time)
                if let since = s.loggedInSince { s.figures.loggedInTime += e.time.timeIntervalSince(since) }
                s.loggedInSince = nil
            case .pause:
                closePause(&s, at: e.time)
                s.paused = (e.time, e.data.first ?? "")
                if s.loggedInSince == nil { s.loggedInSince = e.time }
            case .unpause: closePause(&s, at: e.time)
            case .connect: s.figures.answered += 1
            case .ringNoAnswer: s.figures.missedOffers += 1
            case .completeAgent, .completeCaller: s.figures.completed += 1; s.figures.talkTime += e.number(1)
            case .transfer: s.figures.completed += 1; s.figures.talkTime += e.number(3)
            case .wrapUp: s.figures.wrapUpTime += wraps[i] ?? 0
            default: break
            }
            agents[e.agent] = s
        }
        return agents.keys.sorted().map { name in
            var s = agents[name]!
            closePause(&s, at: to)
            if let since = s.loggedInSince { s.figures.loggedInTime += to.timeIntervalSince(since) }
            var f = s.figures
            let handled = f.talkTime + f.wrapUpTime
            f.aht = f.completed > 0 ? handled / Double(f.completed) : 0
            f.occupancy = f.loggedInTime > 0 ? handled / f.loggedInTime : 0
            let available = f.loggedInTime - f.pausedTime
            f.occupancyExcludingPause = available > 0 ? handled / available : 0
            return f
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Agent commands: login, logout, pause, ready, the "after this call" requests, end of wrap-up.
extension ACD {
    mutating func agentCommand(_ id: String, _ command: AgentCommand) {
        guard let a = agentIndex[id] else { return }
        let state = agents[a].state
        switch command {
        case .login(let station):
            guard case .loggedOut = state else { return }
            agents[a].station = station ?? agents[a].settings.station
            agents[a].loginTime = now
            agents[a].idleSince = now
            agents[a].misses = 0
            log(.agentLogin, agent: a, [Self.stationText(agents[a].station)])
            for m in agents[a].memberships { queues[m.queue].loggedIn += 1 }
            setAgent(a, .ready)
        case .logout:
            switch state {
            case .loggedOut: return
            case .busy: agents[a].pendingLogout = true
            case .offered:
                dropOwnOffer(a)
                logoutNow(a)
            case .ready, .paused, .wrapUp: logoutNow(a)
            }
        case .ready, .unpause:
            if command == .ready { agents[a].pendingLogout = false }
            agents[a].pendingPause = nil
            switch state {
            case .paused(let reason):
                log(.unpause, agent: a, [reason])
                setAgent(a, .ready)
            case .wrapUp:
                agents[a].wrapUntil = nil
                setAgent(a, .ready)
            case .loggedOut, .ready, .offered, .busy: return
            }
        case .pause(let reason):
            switch state {
            case .loggedOut: return
            case .busy: agents[a].pendingPause = reason
            case .offered:
                dropOwnOffer(a)
                pauseNow(a, reason: reason)
            case .ready, .wrapUp, .paused:
                agents[a].wrapUntil = nil
                pauseNow(a, reason: reason)
            }
        case .pauseAfterCall(let reason):
            switch state {
            case .loggedOut, .paused: return
            case .busy, .offered, .wrapUp: agents[a].pendingPause = reason
            case .ready: pauseNow(a, reason: reason)
            }
        case .logoutAfterCall:
            switch state {
            case .loggedOut: return
            case .busy, .offered, .wrapUp: agents[a].pendingLogout = true
            case .ready, .paused: logoutNow(a)
            }
        case .endWrapUp:
            guard case .wrapUp = state else { return }
            readyOrPending(a)
        }
    }

    /// Withdraws the offer ringing at `a` (no miss counted); the item goes back in line.
    mutating func dropOwnOffer(_ a: Int) {
        guard let slot = agents[a].offerSlot, let r = items[slot] else { return }
        out.append(.withdraw(item: r.item.id, agent: agents[a].settings.id))
        endOffer(a)
    }

    mutating func pauseNow(_ a: Int, reason: String) {
        log(.pause, agent: a, [reason])
        setAgent(a, .paused(reason: reason))
    }

    /// Logs the agent out now. A queue whose last member left, and which has an overflow, empties its waiting calls (EXITEMPTY).
    mutating func logoutNow(_ a: Int) {
        let loggedInFor = agents[a].loginTime.map { now - $0 } ?? 0
        log(.agentLogoff, agent: a, [Self.stationText(agents[a].station), Self.secs(loggedInFor)])
        agents[a].pendingPause = nil
        agents[a].pendingLogout = false
        agents[a].restUntil = nil
        agents[a].wrapUntil = nil
        agents[a].loginTime = nil
        for m in agents[a].memberships { queues[m.queue].loggedIn -= 1 }
        setAgent(a, .loggedOut)
        // Emptied queues are swept after the input (not here: a logout can happen in the middle of an item's exit).
        for m in agents[a].memberships where queues[m.queue].loggedIn == 0 && queues[m.queue].settings.overflow != nil {
            emptiedQueues.append(m.queue)
        }
    }

    /// Queues whose last member logged out, and which have an overflow, lose their waiting calls (EXITEMPTY).
    mutating func sweepEmptiedQueues() {
        while let q = emptiedQueues.popLast() {
            guard queues[q].loggedIn == 0 else { continue }
            for key in queues[q].line.all {
                if let r = items[key.slot], r.seq == key.seq, r.isCall, r.inLine, r.queue == q { exit(key.slot, .exitEmpty) }
            }
        }
    }

    static func stationText(_ s: Station) -> String {
        switch s {
        case .dial(let number): return "dial/\(number)"
        case .line: return "line"
        }
    }
}

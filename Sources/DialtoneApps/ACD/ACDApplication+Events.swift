// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// Following the event stream: answers, failures and hang-ups of offers,
/// conversations, callbacks and agent lines become the ACD's inputs.
extension ACDApplication {
    public func run() async {
        let events = core.events.subscribe()
        restore()
        scheduleTimer()
        for await e in events {
            handle(e)
        }
        timer?.cancel()
    }

    func handle(_ e: SwitchEvent) {
        guard let call = e.call else { return }
        switch e.type {
        case .digits:
            for d in e.digits ?? "" { digit(call, d) }
        case .legAnswered:
            legAnswered(call, leg: e.leg ?? 1)
        case .legEnded:
            legEnded(call, leg: e.leg ?? 1, cause: e.cause.flatMap { Q931Cause(rawValue: $0) })
        case .legCreated:
            // A leg the agent placed in the conversation (a transfer): the ACD's part ends.
            if let (agent, g) = engaged.first(where: { $0.value.call == call && $0.value.kind == .call && $0.value.agentLeg != nil }),
               let leg = e.leg, leg > (g.agentLeg ?? 0) {
                engaged[agent] = nil
                feed(.transferred(g.item, agent: agent, to: e.number ?? ""))
            }
        case .promptFinished:
            promptFinished(call, e.text ?? "")
        case .callEnded:
            callEnded(call)
        default:
            break
        }
    }

    func offer(ringing ring: Ring) -> OfferKey? { offers.first { $0.value.ring == ring }?.key }

    func legAnswered(_ call: String, leg: Int) {
        if let key = offer(ringing: .leg(call: call, leg: leg)), let o = offers.removeValue(forKey: key) {
            answered(key.item, agent: key.agent, kind: o.kind, call: call, agentLeg: leg)
        } else if leg == 1, let key = offer(ringing: .agentCall(call)), let o = offers.removeValue(forKey: key) {
            answered(key.item, agent: key.agent, kind: o.kind, call: call, agentLeg: 1)
        } else if let (agent, g) = engaged.first(where: { $0.value.call == call && $0.value.customerLeg == leg }) {
            engaged[agent]?.connected = true
            feed(.callbackResult(g.item, answered: true))  // the customer answered: the agent is with them
        } else if leg == 1, let (agent, g) = engaged.first(where: { $0.value.customerCall == call }), let line = lines[agent] {
            engaged[agent]?.connected = true
            Task {
                do {
                    try await self.core.link(call, line)
                    try? await self.core.collectDigits(line)
                } catch {
                    self.logger.warning("callback not linked to the agent line", metadata: ["call.id": "\(call)", "error": "\(error)"])
                    _ = await self.core.hangup(call, cause: .normalClearing)
                }
            }
            feed(.callbackResult(g.item, answered: true))
        }
    }

    func legEnded(_ call: String, leg: Int, cause: Q931Cause?) {
        if let key = offer(ringing: .leg(call: call, leg: leg)) ?? (leg == 1 ? offer(ringing: .agentCall(call)) : nil) {
            offers[key] = nil
            feed(.offerFailed(key.item, agent: key.agent, reason: Self.failure(cause)))
            return
        }
        guard let (agent, g) = engaged.first(where: { e in
            let g = e.value
            if g.customerCall == call { return true }
            guard g.call == call else { return false }
            return leg == g.agentLeg || leg == g.customerLeg || (g.kind == .call && g.agentLeg != nil && leg == 1)
        }) else { return }
        let byAgent = g.call == call && leg == g.agentLeg
        end(agent, g, byAgent: byAgent)
    }

    /// The agent's engagement is over: a callback that never reached the customer is tried again later.
    func end(_ agent: String, _ g: Engagement, byAgent: Bool) {
        engaged[agent] = nil
        if g.kind == .callback, !g.connected {
            feed(.callbackResult(g.item, answered: false))
        } else {
            feed(.workEnded(g.item, agent: agent, by: byAgent ? .agent : .caller))
        }
        // What is left of a callback or message call is cleared (the open line stays).
        if g.agentLeg != nil, g.kind != .call { Task { _ = await self.core.hangup(g.call, cause: .normalClearing) } }
        // An agent on an open line ended the call (`#`, or the line dropped): the caller is cleared, as a dial station's hang-up does.
        if g.agentLeg == nil, g.kind == .call, byAgent { Task { _ = await self.core.hangup(g.call, cause: .normalClearing) } }
        if let c = g.customerCall { Task { _ = await self.core.hangup(c, cause: .normalClearing) } }
    }

    static func failure(_ cause: Q931Cause?) -> OfferFailure {
        switch cause {
        case .userBusy?: .busy
        case .noAnswer?, .noUserResponding?, .normalClearing?: .noAnswer  // normal clearing: Dialtone gave up ringing
        case .callRejected?: .rejected
        default: .failed
        }
    }

    func callEnded(_ call: String) {
        logins[call] = nil
        if let agent = lineAgent.removeValue(forKey: call) {
            // The agent hung up their open line: whatever it carried ends, and they are logged out.
            lines[agent] = nil
            if let g = engaged[agent] { end(agent, g, byAgent: true) }
            feed(.agent(agent, .logout))
            logger.notice("agent line closed", metadata: ["agent": "\(agent)", "call.id": "\(call)"])
        }
        if let c = callers.removeValue(forKey: call) {
            switch c.phase {
            case .message(let path?, let since?, let overflow):
                messageLeft(call, c, path: path, seconds: Date().timeIntervalSince(since), overflow: overflow)
            case .leaving:
                break
            default:
                feed(.callerLeft(call))
            }
        }
        for (agent, g) in engaged where g.call == call || g.customerCall == call {
            end(agent, g, byAgent: g.agentLeg != nil && g.call == call && g.kind != .call)
        }
        for (key, o) in offers {
            switch o.ring {
            case .leg(call, _), .agentCall(call):
                offers[key] = nil
                feed(.offerFailed(key.item, agent: key.agent, reason: .failed))
            default: break
            }
        }
    }

    func promptFinished(_ call: String, _ prompt: String) {
        if let c = callers[call] {
            switch (c.phase, prompt) {
            case (.message(nil, nil, _), "beep"):
                recordMessage(call)
            case (.leaving, _):
                Task { _ = await self.core.hangup(call, cause: .normalClearing) }
            default:
                break
            }
            return
        }
        guard let (agent, g) = engaged.first(where: { $0.value.call == call }) else { return }
        switch (g.kind, prompt) {
        case (.callback, "queue-callback-agent"):
            guard let number = g.customerNumber else { return end(agent, g, byAgent: false) }
            Task { await self.dialCustomer(agent, number: number, from: call, line: g.agentLeg == nil) }
        case (.message, _), (.fax, _):
            end(agent, g, byAgent: true)
        default:
            break
        }
    }

    /// A callback: the agent heard it is one; now the customer is called.
    func dialCustomer(_ agent: String, number: String, from call: String, line: Bool) async {
        do {
            if line {
                let (c, _) = try await core.originate(to: number)
                engaged[agent]?.customerCall = c
            } else {
                let leg = try await core.offer(call, to: number, answerTimeout: 45)
                engaged[agent]?.customerLeg = leg
            }
        } catch {
            logger.notice("callback not placed", metadata: ["agent": "\(agent)", "number": "\(number)", "error": "\(error)"])
            if let g = engaged[agent] { end(agent, g, byAgent: false) }
        }
    }
}

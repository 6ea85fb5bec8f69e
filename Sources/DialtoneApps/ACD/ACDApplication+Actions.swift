// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneConfig
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// Carrying out what the ACD decides.
extension ACDApplication {
    func perform(_ action: ACDAction) {
        switch action {
        case .offer(let item, let agent, let timeout, let kind):
            ring(item, agent: agent, timeout: timeout, kind: kind)
        case .withdraw(let item, let agent):
            guard let o = offers.removeValue(forKey: OfferKey(item: item, agent: agent)) else {
                if engaged[agent]?.item == item {
                    // Answered just as the ACD gave up on it (its timer is later than the station's): the call stays up.
                    logger.warning("late answer of a withdrawn offer kept", metadata: ["item": "\(item)", "agent": "\(agent)"])
                }
                return
            }
            Task { await self.stopRinging(o.ring) }
        case .overflow(let item, let overflow):
            Task { await self.overflowed(item, overflow) }
        case .announce(let item, let position, let wait):
            guard let c = callers[item], c.phase == .waiting, let q = queues[c.queue] else { return }
            let prompts = NumberSpeech.announcement(position: q.announcePosition ? position : nil,
                                                    expectedWait: q.announceWait ? wait : nil)
            guard !prompts.isEmpty else { return }
            Task { try? await self.core.play(item, prompts: prompts, thenLoop: q.music) }
        case .agentChanged(let agent, let state):
            dirty = true
            logger.info("agent", metadata: ["agent": "\(agent)", "state": "\(state)"])
            var e = SwitchEvent(.agentState)
            e.agent = agent
            switch state {
            case .loggedOut: e.state = "logged-out"
            case .ready: e.state = "ready"
            case .offered(let item): e.state = "offered"; e.text = item
            case .busy(let item): e.state = "busy"; e.text = item
            case .wrapUp: e.state = "wrap-up"
            case .paused(let reason): e.state = "paused"; e.text = reason
            }
            core.events.publish(e)
        case .itemsChanged:
            dirty = true
        case .log(let event):
            storage.record(event)
            var e = SwitchEvent(.queueEvent, call: event.callID == "NONE" ? nil : event.callID)
            e.queue = event.queue == "NONE" ? nil : event.queue
            e.agent = event.agent == "NONE" ? nil : event.agent
            e.text = event.kind.rawValue
            e.fields = event.data
            core.events.publish(e)
        }
    }

    /// Rings the agent for the item: how depends on the station and the kind of work.
    func ring(_ item: String, agent: String, timeout: Double, kind: OfferKind) {
        let key = OfferKey(item: item, agent: agent)
        let station = acd.agentStatus(agent, now: Date())?.station ?? .line
        switch (station, kind) {
        case (.line, _):
            guard let line = lines[agent] else {
                feed(.offerFailed(item, agent: agent, reason: .failed))
                return
            }
            offers[key] = (.line(line), kind)
            Task { await self.connectLine(item, agent: agent, line: line, kind: kind) }
        case (.dial(let number), .call):
            Task {
                do {
                    let leg = try await self.core.offer(item, to: number, answerTimeout: timeout - Self.offerMargin)
                    self.offerPlaced(key, ring: .leg(call: item, leg: leg), kind: kind)
                } catch {
                    self.offerNotPlaced(key, error)
                }
            }
        case (.dial(let number), .callback), (.dial(let number), .message), (.dial(let number), .fax):
            Task {
                do {
                    let (call, _) = try await self.core.originate(to: number, callerID: self.callerNumber(item),
                                                                  answerTimeout: timeout - Self.offerMargin)
                    self.offerPlaced(key, ring: .agentCall(call), kind: kind)
                } catch {
                    self.offerNotPlaced(key, error)
                }
            }
        }
    }

    func offerPlaced(_ key: OfferKey, ring: Ring, kind: OfferKind) {
        guard case .offered(let item)? = acd.agentStatus(key.agent, now: Date())?.state, item == key.item else {
            // Withdrawn while it was being placed.
            Task { await self.stopRinging(ring) }
            return
        }
        offers[key] = (ring, kind)
    }

    func offerNotPlaced(_ key: OfferKey, _ error: any Error) {
        logger.notice("offer not placed", metadata: ["item": "\(key.item)", "agent": "\(key.agent)", "error": "\(error)"])
        feed(.offerFailed(key.item, agent: key.agent, reason: .failed))
    }

    func stopRinging(_ ring: Ring) async {
        switch ring {
        case .leg(let call, let leg): try? await core.hangup(call, leg: leg, cause: .normalClearing)
        case .agentCall(let call): _ = await core.hangup(call, cause: .normalClearing)
        case .line: break
        }
    }

    func callerNumber(_ item: String) -> String { numbers[item] ?? "" }

    func messagePath(_ item: String) -> String? {
        if case .message(let path, _)? = acd.item(item)?.kind { return path }
        return nil
    }

    /// An open line takes the work at once: a beep, then the caller (or the callback, or the message).
    func connectLine(_ item: String, agent: String, line: String, kind: OfferKind) async {
        let key = OfferKey(item: item, agent: agent)
        switch kind {
        case .call:
            if case .message? = callers[item]?.phase { try? await core.stopRecording(item) }
            do {
                try await core.link(item, line)
                try? await core.collectDigits(line)  // the agent's keys (#: end the call) through the conversation
            } catch {
                offers[key] = nil
                logger.warning("agent line not linked", metadata: ["call.id": "\(item)", "agent": "\(agent)", "error": "\(error)"])
                feed(.offerFailed(item, agent: agent, reason: .failed))
                return
            }
            offers[key] = nil
            answered(item, agent: agent, kind: kind, call: item, agentLeg: nil)
        case .callback, .message, .fax:
            offers[key] = nil
            answered(item, agent: agent, kind: kind, call: line, agentLeg: nil)
        }
    }

    /// The agent took the work: the ACD is told, and a callback or message goes on.
    func answered(_ item: String, agent: String, kind: OfferKind, call: String, agentLeg: Int?) {
        var e = Engagement(item: item, kind: kind, call: call, agentLeg: agentLeg)
        if kind == .callback { e.customerNumber = callbackNumber(item) }
        let message = kind == .message ? messagePath(item) : nil
        engaged[agent] = e
        if kind == .call, var c = callers[item] {
            if case .message(let path?, _, _) = c.phase {
                // Connected mid-message: the partial message is kept as a note on the call.
                Task { try? await self.core.attach(item, key: "queue.note", value: path) }
            }
            c.phase = .leaving
            callers[item] = c
            Task { try? await self.core.attach(item, key: "queue.agent", value: agent) }
        }
        feed(.offerAnswered(item, agent: agent))
        switch kind {
        case .call: break
        case .callback:
            Task { try? await self.core.play(call, prompts: ["queue-callback-agent"]) }
        case .message:
            let number = callerNumber(item)
            let digits = number.compactMap { d -> String? in d.isNumber ? "n-\(d)" : nil }
            Task {
                do {
                    if let message { try await self.core.play(call, prompts: ["queue-message-agent"] + digits, file: message) }
                    else { try await self.core.play(call, prompts: ["queue-message-agent"] + digits) }
                } catch {
                    self.logger.warning("message not played to the agent", metadata: ["item": "\(item)", "error": "\(error)"])
                    try? await self.core.play(call, prompts: ["queue-message-agent"] + digits)
                }
            }
        case .fax:
            // The fax is the agent's now (their inbox); they hear whose it is.
            let digits = callerNumber(item).compactMap { d -> String? in d.isNumber ? "n-\(d)" : nil }
            if case .fax(let fax, _)? = acd.item(item)?.kind, let assign = faxAssignment {
                Task { await assign(fax, agent) }
            }
            Task {
                do {
                    try await self.core.play(call, prompts: ["queue-fax-agent"] + digits)
                } catch {
                    // Not told (a missing prompt, the call gone): the work is done all the same.
                    self.logger.warning("fax notice not played to the agent", metadata: ["item": "\(item)", "error": "\(error)"])
                    if let g = self.engaged[agent], g.item == item { self.end(agent, g, byAgent: false) }
                }
            }
        }
    }

    func callbackNumber(_ item: String) -> String? {
        if case .callback(let number, _, _)? = acd.item(item)?.kind { return number }
        return nil
    }

    /// The caller leaves the queue by overflow.
    func overflowed(_ item: String, _ overflow: Overflow) async {
        guard var c = callers[item] else { return }
        logger.notice("queue overflow", metadata: ["call.id": "\(item)", "queue": "\(c.queue)", "to": "\(overflow.logTarget)"])
        switch overflow {
        case .queue(let q):
            c.queue = q
            callers[item] = c
            try? await core.attach(item, key: "queue", value: q)
        case .number(let n):
            callers[item] = nil
            do {
                try await core.stopPlay(item)
                try await core.transfer(item, to: n)
            } catch {
                logger.warning("overflow transfer failed", metadata: ["call.id": "\(item)", "error": "\(error)"])
                _ = await core.hangup(item, cause: .normalClearing)
            }
        case .message:
            await startMessage(item, overflow: true)
        case .callback:
            c.phase = .callbackChoice(digits: "", overflow: true)
            callers[item] = c
            try? await core.play(item, prompts: ["queue-callback-when"])
        case .hangup:
            c.phase = .leaving
            callers[item] = c
            try? await core.play(item, prompts: ["goodbye"])
        case .application(let name, let argument):
            callers[item] = nil
            do {
                try await core.stopPlay(item)
                try await core.handOver(item, to: name, argument: argument)
            } catch {
                logger.warning("overflow to an application failed", metadata: ["call.id": "\(item)", "error": "\(error)"])
                _ = await core.hangup(item, cause: .normalClearing)
            }
        }
    }
}

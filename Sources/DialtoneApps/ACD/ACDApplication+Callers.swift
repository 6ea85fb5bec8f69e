// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// What a waiting caller may do with their keys: leave a message, or
/// reserve a callback (when it is their turn, or at a time of day) —
/// keeping their place either way. And what an agent does on an open line.
extension ACDApplication {
    func digit(_ call: String, _ d: Character) {
        if logins[call] != nil { return loginDigit(call, d) }
        if let agent = lineAgent[call] { return lineDigit(agent, d) }
        guard var c = callers[call], let q = queues[c.queue] else { return }
        switch c.phase {
        case .waiting:
            if d == q.messageKey {
                Task { await self.startMessage(call, overflow: false) }
            } else if d == q.callbackKey {
                guard !(numbers[call] ?? "").isEmpty else {
                    Task { try? await self.core.play(call, prompts: ["invalid"], thenLoop: q.music) }
                    return
                }
                c.phase = .callbackChoice(digits: "", overflow: false)
                callers[call] = c
                Task { try? await self.core.play(call, prompts: ["queue-callback-when"]) }
            }
        case .callbackChoice(let digits, let overflow):
            if digits.isEmpty, d == "1" { return reserveCallback(call, at: nil, overflow: overflow) }
            guard d.isNumber else { return }
            let keyed = digits + String(d)
            guard keyed.count == 4 else {
                c.phase = .callbackChoice(digits: keyed, overflow: overflow)
                callers[call] = c
                return
            }
            if let at = Self.timeOfDay(keyed, after: Date()) {
                reserveCallback(call, at: at, overflow: overflow)
            } else {
                c.phase = .callbackChoice(digits: "", overflow: overflow)
                callers[call] = c
                Task { try? await self.core.play(call, prompts: ["invalid", "queue-callback-when"]) }
            }
        case .message(let path?, let since?, let overflow) where d == "#":
            Task { try? await self.core.stopRecording(call) }
            messageLeft(call, c, path: path, seconds: Date().timeIntervalSince(since), overflow: overflow)
            callers[call]?.phase = .leaving
            Task { try? await self.core.play(call, prompts: ["queue-message-saved"]) }
        default:
            break
        }
    }

    /// The next time of day HHMM (today if still ahead, else tomorrow); nil for an impossible time.
    static func timeOfDay(_ hhmm: String, after now: Date) -> Date? {
        guard let h = Int(hhmm.prefix(2)), let m = Int(hhmm.suffix(2)), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        let cal = Calendar.current
        guard let today = cal.date(bySettingHour: h, minute: m, second: 0, of: now) else { return nil }
        return today > now ? today : cal.date(byAdding: .day, value: 1, to: today)
    }

    func reserveCallback(_ call: String, at: Date?, overflow: Bool) {
        guard var c = callers[call] else { return }
        let number = numbers[call] ?? ""
        if overflow {
            // The queue already let the caller go: a callback item keeps their original arrival.
            feed(.arrive(WorkItem(id: call, kind: .callback(number: number, notBefore: at, attempts: 0), queue: c.queue,
                                  arrival: c.arrival, callerNumber: number)))
        } else {
            feed(.convertToCallback(call, number: number, at: at))
        }
        c.phase = .leaving
        callers[call] = c
        logger.info("callback reserved", metadata: ["call.id": "\(call)", "queue": "\(c.queue)", "number": "\(number)",
                                                    "at": "\(at.map { "\($0)" } ?? "when it is their turn")"])
        Task { try? await self.core.play(call, prompts: ["queue-callback-saved"]) }
    }

    func startMessage(_ call: String, overflow: Bool) async {
        guard var c = callers[call] else { return }
        c.phase = .message(path: nil, since: nil, overflow: overflow)
        callers[call] = c
        if !overflow { feed(.messageStarted(call)) }
        do { try await core.play(call, prompts: ["queue-message", "beep"]) } catch {
            logger.warning("message prompt not played", metadata: ["call.id": "\(call)", "error": "\(error)"])
            recordMessage(call)
        }
    }

    func recordMessage(_ call: String) {
        guard let c = callers[call], case .message(nil, nil, let overflow) = c.phase, let q = queues[c.queue] else { return }
        Task {
            do {
                let path = try await self.core.startRecording(call, reason: "queue-message")
                let since = Date()
                self.callers[call]?.phase = .message(path: path, since: since, overflow: overflow)
                // The longest message: then it is left as it is.
                let clock = self.clock
                try? await clock.sleep(for: .seconds(q.messageMaxSeconds))
                if case .message(path, since, _)? = self.callers[call]?.phase { self.digit(call, "#") }
            } catch {
                self.logger.warning("message not recorded", metadata: ["call.id": "\(call)", "error": "\(error)"])
                self.callers[call]?.phase = .waiting
                try? await self.core.play(call, prompts: [], thenLoop: q.music)
            }
        }
    }

    func messageLeft(_ call: String, _ c: Caller, path: String, seconds: Double, overflow: Bool) {
        if overflow {
            feed(.arrive(WorkItem(id: call, kind: .message(path: path, seconds: seconds), queue: c.queue, arrival: c.arrival,
                                  callerNumber: numbers[call] ?? "")))
        } else {
            feed(.messageLeft(call, path: path, seconds: seconds))
        }
        logger.info("message left", metadata: ["call.id": "\(call)", "queue": "\(c.queue)", "path": "\(path)",
                                               "seconds": "\(Int(seconds))"])
    }

    /// A message left in a group mailbox (voice mail with `queue:`): a
    /// message work item of the queue, offered to its agents like one left
    /// while waiting (same distribution, same statistics). `id` is the
    /// message's call id; `path` the finished WAV file.
    public func messageLeft(queue: String, id: String, path: String, seconds: Double, callerNumber: String, arrival: Date) {
        restore()
        guard queues[queue] != nil, acd.item(id) == nil else { return }
        numbers[id] = callerNumber
        feed(.arrive(WorkItem(id: id, kind: .message(path: path, seconds: seconds), queue: queue, arrival: arrival,
                              callerNumber: callerNumber)))
        logger.info("group mailbox message queued", metadata: ["call.id": "\(id)", "queue": "\(queue)", "path": "\(path)"])
    }

    // MARK: Agent lines

    /// An agent calls the agent line: number, then PIN, then they stay on the line.
    func lineCall(_ call: String) async {
        restore()
        do {
            try await core.answer(call)
            try await core.collectDigits(call)
            try await core.play(call, prompts: ["agent-login"])
        } catch {
            _ = await core.hangup(call, cause: .temporaryFailure)
            return
        }
        logins[call] = Login()
    }

    func loginDigit(_ call: String, _ d: Character) {
        guard var l = logins[call] else { return }
        guard d == "#" else {
            if d.isNumber, l.digits.count < 16 { l.digits.append(d) }
            logins[call] = l
            return
        }
        guard let agent = l.agent else {
            l.agent = l.digits
            l.digits = ""
            logins[call] = l
            Task { try? await self.core.play(call, prompts: ["agent-pin"]) }
            return
        }
        if let a = agentConfigs[agent], a.station == .line, a.pin == l.digits, lines[agent] == nil {
            logins[call] = nil
            lines[agent] = call
            lineAgent[call] = agent
            feed(.agent(agent, .login(station: .line)))
            logger.notice("agent logged in on a line", metadata: ["agent": "\(agent)", "call.id": "\(call)"])
            Task { try? await self.core.play(call, prompts: ["agent-logged-in"]) }
            return
        }
        l.tries += 1
        logger.notice("agent line login refused", metadata: ["agent": "\(agent)", "call.id": "\(call)", "tries": "\(l.tries)"])
        if l.tries >= 3 {
            logins[call] = nil
            Task {
                try? await self.core.play(call, prompts: ["agent-login-failed", "goodbye"])
                try? await self.clock.sleep(for: .seconds(6))
                _ = await self.core.hangup(call, cause: .normalClearing)
            }
            return
        }
        logins[call] = Login(tries: l.tries)
        Task { try? await self.core.play(call, prompts: ["agent-login-failed", "agent-login"]) }
    }

    /// Keys on an open line: `#` ends the current call (or the wrap-up), `*` pauses or makes ready.
    func lineDigit(_ agent: String, _ d: Character) {
        switch d {
        case "#":
            if let g = engaged[agent] {
                end(agent, g, byAgent: true)  // the caller (or the customer called back) is cleared
            } else if case .wrapUp? = acd.agentStatus(agent, now: Date())?.state {
                feed(.agent(agent, .endWrapUp))
            }
        case "*":
            switch acd.agentStatus(agent, now: Date())?.state {
            case .paused?: feed(.agent(agent, .ready))
            case .ready?: feed(.agent(agent, .pause(reason: "line")))
            default: break
            }
        default:
            break
        }
    }
}

extension ACDApplication {
    /// A waiting caller turned out to be a fax machine (CNG heard in the
    /// queue): the caller leaves the queue (logged as the caller leaving, any
    /// offer to an agent withdrawn) and the fax service takes the call.
    /// Returns the queue they waited in; nil when the call was not waiting here.
    public func withdraw(call id: String) -> String? {
        guard let c = callers[id], c.phase == .waiting else { return nil }
        callers[id] = nil
        feed(.callerLeft(id))
        logger.info("caller left the queue: fax", metadata: ["call.id": "\(id)", "queue": "\(c.queue)"])
        return c.queue
    }

    /// A fax received for `queue` (fax mail) becomes a work item of the
    /// queue: offered to an agent like a message, who hears that a fax from
    /// the caller's number is theirs; ``setFaxAssignment(_:)`` is told who
    /// took it. Kept across restarts like messages.
    public func faxReceived(queue: String, id: String, fax: String, pages: Int, callerNumber: String, arrival: Date) {
        restore()
        guard queues[queue] != nil, acd.item(id) == nil else { return }
        numbers[id] = callerNumber
        feed(.arrive(WorkItem(id: id, kind: .fax(fax: fax, pages: pages), queue: queue, arrival: arrival, callerNumber: callerNumber)))
        logger.info("fax queued for the agents", metadata: ["fax.id": "\(fax)", "queue": "\(queue)", "pages": "\(pages)"])
    }

    /// Who is told that an agent took a fax work item (the fax id, the agent).
    public func setFaxAssignment(_ assign: @escaping @Sendable (String, String) async -> Void) {
        faxAssignment = assign
    }
}

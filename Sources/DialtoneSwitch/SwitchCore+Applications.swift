// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneMedia
import DialtoneSignalling
import Foundation
import Logging

/// The application sessions the switch hosts, by call: the running one,
/// and the one a transfer left (until the transfer is answered, a failed
/// transfer goes back to it). Which call each listening channel's media
/// events belong to.
struct ApplicationHost: Sendable {
    var sessions: [String: any ApplicationSession] = [:]
    var transferring: [String: any ApplicationSession] = [:]
    var listeners: [MediaEngine.Endpoint: String] = [:]

    mutating func end(_ id: String) {
        sessions[id] = nil
        transferring[id] = nil
    }
}

/// The application host: runs per-call sessions (the IVR…) on the call-control primitives.
extension SwitchCore {
    /// Answers the call (if not yet) and gives it to the application for `action`.
    func startApplication(_ id: String, _ action: IVRAction, alert: Bool = true) {
        guard let call = calls[id], let leg = call.inbound, leg.channel != nil else { return }
        if case .application(let name, let argument) = action, name == "control" || hosted[name] != nil {
            // The call-control API (or a hosted application speaking it) takes the call:
            // it waits to be answered, rejected or connected.
            update(id) { call, now in call.present(now: now, alert: alert) }
            publish(id, .applicationStarted) { e in
                e.application = name
                e.text = argument.isEmpty ? nil : argument
            }
            if let app = hosted[name] { Task { await app.take(call: id, argument: argument) } }
            return
        }
        let info = AppCallInfo(callID: id, ani: call.ani.digits, dnis: call.dnis, span: spans[leg.span].config.name,
                               variables: call.variables)
        guard let session = applications?.session(for: action, call: info) else {
            logger.warning("no application for the route's action", metadata: ["call.id": "\(id)", "action": "\(action)"])
            clear(id, cause: .facilityNotImplemented, reason: "no application for \(action)")
            return
        }
        let firstTime = !call.answeredLocally
        update(id) { call, now in call.answerLocally(now: now) }
        if firstTime {
            stats.answered += 1
            listen(id, leg: 1)
            logger.info("answered by application", metadata: ["call.id": "\(id)", "action": "\(action)"])
        }
        apps.sessions[id] = session
        publish(id, .applicationStarted) { $0.application = "\(action)" }
        appEvent(id, .started)
    }

    func publish(_ id: String, _ type: SwitchEvent.EventType, leg: Int? = nil, _ fill: (inout SwitchEvent) -> Void = { _ in }) {
        var e = SwitchEvent(type, call: id, leg: leg)
        fill(&e)
        events.publish(e)
    }

    /// The call hears the leg's digits: DTMF detection on, the channel's media events are the call's.
    func listen(_ id: String, leg: Int) {
        guard let e = endpoint(id, leg) else { return }
        send(.detectDigits(e, true))
        apps.listeners[e] = id
    }

    func stopListening(_ id: String, leg: Int) {
        guard let e = endpoint(id, leg), apps.listeners[e] == id else { return }
        send(.detectDigits(e, false))
        apps.listeners[e] = nil
    }

    /// A digit from a leg (in band or keypad): an event (with its time on
    /// the call, ``Call/digitEvent(_:leg:span:now:)``), then the application's
    /// or the recording code's.
    func digit(_ id: String, leg: Int, _ received: ReceivedDigit, at now: Date = Date()) {
        guard let call = calls[id] else { return }
        publishDigit(call, leg: leg, received, at: now)
        let d = received.key
        if call.applicationLeg == leg {
            appEvent(id, .digit(d))
        } else if case .active = call.state, leg == 1 {
            connectedDigit(id, d)
        }
    }

    /// Publishes a digit's `digits` event (time, span, channel, source);
    /// `now`: when it reached the switch (a media event: when it left the engine).
    func publishDigit(_ call: Call, leg: Int, _ received: ReceivedDigit, at now: Date = Date()) {
        let span = call.leg(leg).map { spans[$0.span].config.name }
        let e = events.publish(call.digitEvent(received, leg: leg, span: span, now: now))
        logger.debug("digit", metadata: ["call.id": "\(call.id)", "leg": "\(leg)", "digit": "\(received.key)", "source": "\(received.source.rawValue)",
                                         "at_ms": "\(e.atMs.map(String.init) ?? "-")", "duration_ms": "\(received.durationMs.map(String.init) ?? "-")"])
    }

    /// Feeds an event to the call's session and carries out what it asks.
    func appEvent(_ id: String, _ event: AppEvent) {
        guard var session = apps.sessions[id], calls[id]?.applicationLeg != nil else { return }
        let commands = session.handle(event, now: Date())
        apps.sessions[id] = session
        for command in commands { appCommand(id, command) }
    }

    private func appCommand(_ id: String, _ command: AppCommand) {
        guard let call = calls[id], let leg = call.applicationLeg, let endpoint = endpoint(id, leg) else { return }
        switch command {
        case .play(let prompt, let language, let token):
            if !play(prompt, language: language, to: endpoint, token: token) {
                // A missing prompt must not strand the caller: carry on as if it had played.
                logger.warning("prompt missing, skipped", metadata: ["call.id": "\(id)", "prompt": "\(prompt)"])
                inbox.yield(.media(.promptFinished(endpoint, token: token)))
            }
        case .stopPrompt:
            send(.stopPrompt(endpoint))
        case .startTimer(let token, let seconds):
            update(id) { call, _ in call.armApplicationTimer(token: token, seconds: seconds) }
        case .set(let variable, let value):
            update(id) { call, _ in call.attach(variable, value) }
        case .visit(let step):
            update(id) { call, _ in call.visit(step); return [] }
        case .transfer(let number):
            logger.info("application transfers", metadata: ["call.id": "\(id)", "number": "\(number)"])
            apps.transferring[id] = apps.sessions[id]  // until answered: a failed transfer goes back to it
            update(id) { call, now in call.leaveApplication(now: now) }
            route(id, number: number)
        case .handOver(let action):
            apps.sessions[id] = nil
            startApplication(id, action)
        case .hangup(let cause):
            clear(id, cause: cause, reason: "application hung up")
        }
    }

    /// Plays a prompt of the library (the language's, else the default's). False when it is missing.
    func play(_ prompt: String, language: String?, to endpoint: MediaEngine.Endpoint, token: Int, loop: Bool = false) -> Bool {
        guard let library = media.prompts,
              let pid = library.id(prompt, language: language ?? promptLanguage) ?? library.id(prompt, language: promptLanguage)
        else { return false }
        send(.playPrompt(endpoint, prompt: pid, token: token, loop: loop))
        return true
    }

    /// A placed leg failed (or none could be placed) for a call an application
    /// transferred: when its session has somewhere to take the caller, the
    /// caller is the application's again, and true. False: the call clears as before.
    func returnToApplication(_ id: String, failed leg: Int?, cause: Q931Cause, farEndCleared: Bool) -> Bool {
        guard let call = calls[id], call.answeredLocally, call.state == .routing,
              leg == nil || call.pending[leg!] == .destination(for: 1),
              var session = apps.transferring.removeValue(forKey: id) else { return false }
        let commands = session.handle(.transferFailed(cause: cause), now: Date())
        guard !commands.isEmpty else { return false }
        update(id) { call, now in call.returnToApplication(failed: leg, cause: cause, farEndCleared: farEndCleared, now: now) }
        guard calls[id]?.applicationLeg == 1 else { return false }
        listen(id, leg: 1)
        apps.sessions[id] = session
        logger.notice("transfer failed; the caller is back in the application",
                      metadata: ["call.id": "\(id)", "cause": "\(cause.rawValue)"])
        for command in commands { appCommand(id, command) }
        return true
    }

    /// Hands a call that stands alone (answered, not bridged) to a hosted
    /// application, as a route naming it would (a queue's overflow to a
    /// voice mail box). The application takes it with `take(call:argument:)`.
    public func handOver(_ id: String, to name: String, argument: String) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard hosted[name] != nil else { throw .invalid("no application '\(name)'") }
        guard case .alone(let l) = call.state, l == 1, links[id] == nil else {
            throw .wrongState(call: id, state: call.state, command: "hand over")
        }
        publish(id, .applicationStarted) { e in
            e.application = name
            e.text = argument.isEmpty ? nil : argument
        }
        if let app = hosted[name] { Task { await app.take(call: id, argument: argument) } }
    }

    /// A routed call's destination failed: when its route says where such
    /// callers go (`on_busy`, `on_no_answer`), the failed leg is cleared and
    /// the caller handed there, with `voicemail.reason` (busy or
    /// unavailable) attached. False: the failure goes on as before.
    func divertOnFailure(_ id: String, failed leg: Int, cause: Q931Cause, farEndCleared: Bool) -> Bool {
        guard let call = calls[id], !call.answeredLocally, call.state == .routing, let route = dialplan.route(call.dnis) else { return false }
        let target: IVRAction?, reason: String
        switch cause {
        case .userBusy: (target, reason) = (route.onBusy, "busy")
        case .noAnswer, .noUserResponding: (target, reason) = (route.onNoAnswer, "unavailable")
        default: return false
        }
        guard let target else { return false }
        var diverted = false
        update(id) { call, now in
            let actions = call.divert(failed: leg, cause: cause, farEndCleared: farEndCleared, now: now)
            diverted = !actions.isEmpty
            return actions
        }
        guard diverted else { return false }
        update(id) { call, _ in call.attach("voicemail.reason", reason) }
        logger.info("destination failed; diverted", metadata: ["call.id": "\(id)", "cause": "\(cause.rawValue)", "to": "\(target)"])
        startApplication(id, target, alert: false)
        return true
    }

    func mediaEvent(_ event: MediaEngine.Event, received: Date = Date()) {
        switch event {
        case .digit(let endpoint, let tone):
            guard let id = apps.listeners[endpoint], let leg = calls[id].flatMap({ Self.leg(of: $0, on: endpoint) }) else {
                logger.debug("in-band digit on a channel no call owns", metadata: ["span": "\(endpoint.span)", "channel": "\(endpoint.channel)"])
                return
            }
            digit(id, leg: leg, ReceivedDigit(key: tone.character, source: .inband, durationMs: Int(tone.durationMs), ageMs: Int(tone.ageMs)),
                  at: received)
        case .promptFinished(let endpoint, let token):
            if token == Self.playlistToken { nextInPlaylist(endpoint); return }
            guard let id = apps.listeners[endpoint] else { return }
            appEvent(id, .promptFinished(token: token))
        case .recordingStopped(let slot):
            recorder.stopped(slot: slot, events: events)
        case .faxNegotiated, .faxPage, .faxFinished, .faxTone:
            faxEvent(event)
        case .silence(let endpoint):
            guard let (id, leg) = calls.lazy.compactMap({ id, call in Self.leg(of: call, on: endpoint).map { (id, $0) } }).first
            else { return }
            publish(id, .silence, leg: leg)
        }
    }

    /// The call's leg still on `endpoint`'s channel (media news about a channel goes to it).
    static func leg(of call: Call, on endpoint: MediaEngine.Endpoint) -> Int? {
        call.legs.first { $0.span == endpoint.span && $0.channel == endpoint.channel && !$0.isGone }?.id
    }
}

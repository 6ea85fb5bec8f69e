// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import Foundation
import Logging

/// The call-control API: the one way into the switch for the CLI, the
/// control socket, the HTTP API and long-lived applications. Every command
/// either does all it says or throws a ``CallControlError`` and changes nothing.
extension SwitchCore {
    /// Places a new call to `number`: through the dialplan, or on `span`
    /// (and `channel`) directly. The call's leg 1 is the placed leg; when it
    /// answers the call is `alone` until a command connects it.
    public func originate(to number: String, span: String? = nil, channel: Int? = nil, callerID: String = "",
                          answerTimeout: Double = 60) throws(CallControlError) -> (call: String, leg: Int) {
        guard accepting else { throw .shuttingDown }
        try Self.checkNumber(number)
        let target = try destination(for: number, span: span, channel: channel)
        if channel == nil { try checkCircuit(target) }
        let id = nextCallID()
        calls[id] = Call(id: id, originating: number, calling: PartyNumber(digits: callerID), now: Date())
        var created = SwitchEvent(.callCreated, call: id, leg: 1)
        created.number = callerID
        created.dnis = number
        events.publish(created)  // before the leg's events
        do {
            try place(id, number: target.number, spans: target.spans, purpose: .originate, role: .outbound,
                      answerTimeout: target.timeout ?? answerTimeout, channel: channel)
        } catch {
            calls[id] = nil
            var ended = SwitchEvent(.callEnded, call: id)
            ended.cause = Int(Q931Cause.noCircuitAvailable.rawValue)
            ended.causeText = Q931Cause.noCircuitAvailable.name
            ended.disposition = CDR.Disposition.congestion.rawValue
            events.publish(ended)
            throw error
        }
        stats.offered += 1
        logger.info("originated", metadata: ["call.id": "\(id)", "number": "\(number)"])
        return (id, 1)
    }

    /// Answers a call presented to the API (a route whose application is `control`).
    public func answer(_ id: String) throws(CallControlError) {
        try command(id) { call, now in call.answerPresented(now: now) }
        stats.answered += 1
        listen(id, leg: 1)
    }

    /// Rejects a call not yet answered, with a Q.850 cause.
    public func reject(_ id: String, cause: Q931Cause) throws(CallControlError) {
        try command(id) { call, now in call.reject(cause: cause, now: now) }
    }

    /// Puts a party of a two-party call on hold (default: leg 1): it hears the hold audio. The held leg.
    @discardableResult
    public func hold(_ id: String, leg: Int? = nil) throws(CallControlError) -> Int {
        try command(id) { call, now in call.hold(leg, now: now) }
        if case .held(let held, _)? = calls[id]?.state { return held }
        return leg ?? 1
    }

    /// Takes the held party off hold and connects it to its peer again. The leg retrieved.
    @discardableResult
    public func retrieve(_ id: String, leg: Int? = nil) throws(CallControlError) -> Int {
        let held: Int? = if case .held(let h, _)? = calls[id]?.state { h } else { nil }
        try command(id) { call, now in call.retrieve(leg, now: now) }
        return held ?? leg ?? 1
    }

    /// Blind transfer: `leg` (default: leg 1) is connected to `number`; its peer is cleared at once.
    @discardableResult
    public func transfer(_ id: String, leg: Int? = nil, to number: String) throws(CallControlError) -> Int {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        try Self.checkNumber(number)
        let (stays, goes) = try call.checkBlindTransfer(leg).get()
        let target = try destination(for: number)
        try checkCircuit(target)
        update(id) { call, now in call.startBlindTransfer(stays: stays, goes: goes, now: now) }
        try place(id, number: target.number, spans: target.spans, purpose: .blindTransfer(for: stays), role: .consultation,
                  answerTimeout: target.timeout ?? 60)
        return calls[id]!.legs.count
    }

    /// Offers the answered party `leg` (default: the one there is) of a call
    /// that is alone — a queue's caller — to `number`. The party keeps
    /// hearing what it hears while the station rings; when it answers the two
    /// are bridged; when it fails the party stays alone and the call goes on
    /// (`leg ended` says why). Several offers may ring at once: the first
    /// answered wins and the others are cleared. The new leg.
    @discardableResult
    public func offer(_ id: String, leg: Int? = nil, to number: String, answerTimeout: Double = 60) throws(CallControlError) -> Int {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        try Self.checkNumber(number)
        guard case .alone(let party) = call.state else { throw .wrongState(call: id, state: call.state, command: "offer") }
        if let leg, leg != party { throw .noSuchLeg(call: id, leg: leg) }
        let target = try destination(for: number)
        try checkCircuit(target)
        try place(id, number: target.number, spans: target.spans, purpose: .offer(for: party), role: .outbound,
                  answerTimeout: answerTimeout)
        return calls[id]!.legs.count
    }

    /// Attended transfer, first step: `leg` (default: leg 1) is held and its peer is connected to `number`.
    @discardableResult
    public func consult(_ id: String, leg: Int? = nil, to number: String) throws(CallControlError) -> Int {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        try Self.checkNumber(number)
        let (held, holder) = try call.checkConsult(leg).get()
        let target = try destination(for: number)
        try checkCircuit(target)
        update(id) { call, now in call.startConsult(held: held, holder: holder, now: now) }
        try place(id, number: target.number, spans: target.spans, purpose: .consult(holder: holder, held: held),
                  role: .consultation, answerTimeout: target.timeout ?? 60)
        return calls[id]!.legs.count
    }

    /// Attended transfer, completed: the held party and the consulted one are connected; the holder leaves.
    public func completeTransfer(_ id: String) throws(CallControlError) {
        try command(id) { call, now in call.completeTransfer(now: now) }
    }

    /// Attended transfer, cancelled: the consulted leg is cleared and the held party is back with the holder.
    public func cancelTransfer(_ id: String) throws(CallControlError) {
        try command(id) { call, now in call.cancelTransfer(now: now) }
    }

    /// Adds `number` to the call: when it answers, every party is in the call's conference.
    /// During a consultation (no number), merges the held, holding and consulted parties.
    @discardableResult
    public func conferenceAdd(_ id: String, number: String?) throws(CallControlError) -> Int? {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard let number else {
            try command(id) { call, now in call.mergeConsultation(now: now) }
            return nil
        }
        try Self.checkNumber(number)
        try call.checkConferenceAdd().get()
        let target = try destination(for: number)
        try place(id, number: target.number, spans: target.spans, purpose: .conference, role: .consultation,
                  answerTimeout: target.timeout ?? 60)
        return calls[id]!.legs.count
    }

    public func conferenceDrop(_ id: String, leg: Int, cause: Q931Cause = .normalClearing) throws(CallControlError) {
        try command(id) { call, now in call.conferenceDrop(leg, cause: cause, now: now) }
    }

    /// Hangs up one leg, or the whole call, with a Q.850 cause.
    public func hangup(_ id: String, leg: Int?, cause: Q931Cause = .normalClearing) throws(CallControlError) {
        try command(id) { call, now in call.hangup(leg, cause: cause, now: now) }
    }

    /// Clears a call with `cause` (both legs, Q.931 clearing). False when there is no such call.
    @discardableResult
    public func hangup(_ id: String, cause: Q931Cause = .normalClearing) -> Bool {
        (try? hangup(id, leg: nil, cause: cause)) != nil
    }

    /// Keeps `value` under `key` on the call: it stays through transfers and is written to the CDR.
    public func attach(_ id: String, key: String, value: String) throws(CallControlError) {
        guard !key.isEmpty, key.count <= 64, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" })
        else { throw .invalid("a data key is 1 to 64 letters, digits, '_', '.' or '-'") }
        guard value.utf8.count <= 1024 else { throw .invalid("a data value is at most 1024 bytes") }
        try command(id) { call, _ in .success(call.attach(key, value)) }
    }

    /// Turns on digit detection on a leg (default: leg 1): each digit is a `digits` event.
    public func collectDigits(_ id: String, leg: Int? = nil) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        let l = leg ?? 1
        guard call.leg(l)?.isAnswered == true else { throw .wrongState(call: id, state: call.state, command: "collect digits") }
        listen(id, leg: l)
    }

    /// Starts recording a two-party call (by policy, DTMF or the API).
    @discardableResult
    public func startRecording(_ id: String, reason: String = "api") throws(CallControlError) -> String {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard call.recordingSlot == nil else { throw .invalid("call \(id) is already recorded") }
        let ea: MediaEngine.Endpoint, eb: MediaEngine.Endpoint?
        switch call.state {
        case .active(let a, let b):
            guard let x = endpoint(id, a), let y = endpoint(id, b) else { throw .wrongState(call: id, state: call.state, command: "record") }
            (ea, eb) = (x, y)
        case .alone(let l) where links[id] == nil:
            // One party alone: a message left while waiting. A bridge made later ends it.
            guard let x = endpoint(id, l) else { throw .wrongState(call: id, state: call.state, command: "record") }
            (ea, eb) = (x, nil)
        default:
            throw .wrongState(call: id, state: call.state, command: "record")
        }
        let (slot, path) = try recorder.open(callID: id, ani: call.ani.description, dnis: call.dnis,
                                             laws: (spans[ea.span].config.law, spans[(eb ?? ea).span].config.law)).get()
        calls[id]?.recordingSlot = slot
        send(.record(slot: slot, first: ea, second: eb))
        logger.info("recording", metadata: ["call.id": "\(id)", "path": "\(path)", "reason": "\(reason)"])
        publish(id, .recordingStarted) { e in
            e.path = path
            e.text = reason
        }
        return path
    }

    /// Records the one party of a call that is alone (a caller leaving a
    /// voice mail message, an owner recording a greeting) to `path`, mono:
    /// the application's own file, not indexed as a call recording. The
    /// writer rewrites the header every second; `recording.stopped` (with
    /// `path`, or none when nothing was recorded) says when it is closed and synced.
    public func startRecording(_ id: String, to path: String, format: WAVFormat = .pcm16) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard call.recordingSlot == nil else { throw .invalid("call \(id) is already recorded") }
        guard case .alone(let l) = call.state, links[id] == nil, let e = endpoint(id, l) else {
            throw .wrongState(call: id, state: call.state, command: "record")
        }
        let slot = try recorder.open(callID: id, path: path, format: format, law: spans[e.span].config.law).get()
        calls[id]?.recordingSlot = slot
        send(.record(slot: slot, first: e, second: nil))
        publish(id, .recordingStarted) { ev in
            ev.path = path
            ev.text = "application"
        }
    }

    /// Reports `silence` (an event) once a leg has sent `seconds` of silence
    /// in a row (energy below about −48 dBov), again only after sound came
    /// back; nil turns it off. A voice mail message ends this way.
    public func detectSilence(_ id: String, leg: Int? = nil, seconds: Double?) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard let e = endpoint(id, leg ?? 1), call.leg(leg ?? 1)?.isAnswered == true else {
            throw .wrongState(call: id, state: call.state, command: "detect silence")
        }
        send(.detectSilence(e, samples: seconds.map { Int(max(0.1, $0) * 8000) } ?? 0))
    }

    public func stopRecording(_ id: String) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        guard call.recordingSlot != nil else { throw .invalid("call \(id) is not recorded") }
        recorder.stop(call: id, calls: &calls, media: media)
    }

    /// A digit from the caller during a connected call: the on-demand recording code.
    func connectedDigit(_ id: String, _ digit: Character) {
        guard var call = calls[id], let code = recorder.config.onDemandCode else { return }
        call.connectedDigits = String((call.connectedDigits + String(digit)).suffix(code.count))
        if call.connectedDigits == code {
            call.connectedDigits = ""
            calls[id] = call
            do { try startRecording(id, reason: "dtmf \(code)") } catch {
                logger.notice("on-demand recording not started", metadata: ["call.id": "\(id)", "why": "\(error)"])
            }
            return
        }
        calls[id] = call
    }

    // MARK: Helpers

    struct Target { var number: String; var spans: [String]; var timeout: Double? }

    /// Where `number` goes: the dialplan's route (it must dial out), or the span given.
    func destination(for number: String, span: String? = nil, channel: Int? = nil) throws(CallControlError) -> Target {
        if let span {
            guard spans.contains(where: { $0.config.name == span }) else { throw .invalid("no span '\(span)'") }
            return Target(number: number, spans: [span], timeout: nil)
        }
        switch dialplan.decide(number) {
        case .dial(let out, let names, let timeout, _): return Target(number: out, spans: names, timeout: timeout)
        case .application: throw .invalid("\(number) routes to an application, not to a line")
        case .noRoute: throw .noRoute(number)
        }
    }

    /// Throws unless a span of the target has its D-channel up and a free B-channel (checked before a command changes anything).
    func checkCircuit(_ target: Target) throws(CallControlError) {
        let ok = target.spans.contains { name in
            guard let s = spans.first(where: { $0.config.name == name }) else { return false }
            return linkUp[s.index] && channels.free(s.config, index: s.index) != nil
        }
        if !ok { throw .noCircuit(target.number) }
    }

    static func checkNumber(_ number: String) throws(CallControlError) {
        guard !number.isEmpty, number.count <= 32, number.allSatisfy({ "0123456789*#+".contains($0) }) else {
            throw .invalid("a number is 1 to 32 of 0-9, *, # or +")
        }
    }

    /// The endpoint of an answered leg that no bridge or conference holds.
    func freeEndpoint(_ id: String, _ leg: Int?, _ what: String) throws(CallControlError) -> MediaEngine.Endpoint {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        let l = leg ?? 1
        guard let info = call.leg(l) else { throw .noSuchLeg(call: id, leg: l) }
        let busy = call.bridges.contains { $0.state == .active && $0.contains(l) } || call.conference.members.contains(l)
            || links[id]?.leg == l
        guard info.isAnswered, !busy, call.applicationLeg != l, let e = endpoint(id, l) else {
            throw .wrongState(call: id, state: call.state, command: what)
        }
        guard faxes[e] == nil else { throw .invalid("call \(id) leg \(l) has a fax running") }
        return e
    }
}

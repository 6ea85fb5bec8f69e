// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import Foundation

/// A fax session the switch runs on a leg.
struct FaxRun {
    var call: String
    var leg: Int
    var session: FaxSession
    var pages = 0
    var rate = 0
    var ecm = false
}

/// Fax through the call-control API: SpanDSP's T.30 terminal on a leg
/// (sending TIFF pages or receiving them into a TIFF), and fax tone (CNG,
/// CED) detection on a leg while anything else goes on (a prompt, music).
/// Events: `fax.detected`, `fax.started`, `fax.negotiated`, `fax.page`,
/// `fax.ended`; the outcome is kept in the call's data (`fax.code`,
/// `fax.result`, `fax.pages`, `fax.rate`, `fax.ecm`, `fax.file`) and so in its CDR.
extension SwitchCore {
    /// Sends `files` (TIFF, 1728 pixels wide; several are sent as one
    /// document) on a leg (default: leg 1). The call is answered first if it
    /// was presented to the API; an application (IVR) holding the leg lets it
    /// go; playback stops. T.30 role: calling (the far machine was started to
    /// receive) unless `role` says otherwise. Throws, changing nothing, when a
    /// file cannot be sent (the error names it).
    public func fax(_ id: String, leg: Int? = nil, send files: [String], options: FaxSession.Options = .init(),
                    role: FaxSession.Role = .calling) throws(CallControlError) {
        try startFax(id, leg: leg, direction: .send(files), options: options, role: role)
    }

    /// Receives a fax on a leg into `file` (TIFF; its directory must exist).
    /// T.30 role: answering (the far machine called: its CNG was heard)
    /// unless `role` says otherwise.
    public func fax(_ id: String, leg: Int? = nil, receive file: String, options: FaxSession.Options = .init(),
                    role: FaxSession.Role = .answering) throws(CallControlError) {
        try startFax(id, leg: leg, direction: .receive(file), options: options, role: role)
    }

    /// Ends a leg's fax session early; `fax.ended` follows with SpanDSP's code.
    public func stopFax(_ id: String, leg: Int? = nil) throws(CallControlError) {
        guard calls[id] != nil else { throw .noSuchCall(id) }
        guard let e = endpoint(id, leg ?? 1), faxes[e]?.call == id else { throw .invalid("call \(id) has no fax running") }
        send(.stopFax(e))
    }

    /// Listens for fax tones on a leg (default: leg 1) from now on, whatever
    /// it hears meanwhile (IVR prompts, queue music): `fax.detected` when a
    /// fax machine's CNG (or CED) is heard. Stops when a fax starts or the call ends.
    public func detectFax(_ id: String, leg: Int? = nil) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        let l = leg ?? 1
        guard let info = call.leg(l) else { throw .noSuchLeg(call: id, leg: l) }
        guard info.isAnswered, let e = endpoint(id, l) else { throw .wrongState(call: id, state: call.state, command: "detect fax") }
        faxListeners[e] = (id, l)
        send(.detectFaxTones(e, true))
    }

    private func startFax(_ id: String, leg: Int?, direction: FaxSession.Direction, options: FaxSession.Options,
                          role: FaxSession.Role) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        let l = leg ?? 1
        guard call.leg(l) != nil else { throw .noSuchLeg(call: id, leg: l) }
        if let e = endpoint(id, l), faxes[e] != nil { throw .invalid("call \(id) leg \(l) already has a fax running") }
        // The session first (checks the files): a bad document changes nothing.
        let session: FaxSession
        do { session = try FaxSession(role: role, direction: direction, options: options) } catch { throw .invalid(error.description) }
        if call.state == .presented, l == 1 { try answer(id) }
        if calls[id]?.applicationLeg == l { update(id) { call, now in call.present(now: now) } }  // the application lets it go
        let e = try freeEndpoint(id, l, "fax")
        playlists[e] = nil
        if faxListeners.removeValue(forKey: e) != nil { send(.detectFaxTones(e, false)) }
        faxes[e] = FaxRun(call: id, leg: l, session: session)
        send(.startFax(e, session))
        let (what, file): (String, String) = switch direction {
        case .send: ("send", session.file)
        case .receive(let path): ("receive", path)
        }
        logger.info("fax started", metadata: ["call.id": "\(id)", "leg": "\(l)", "direction": "\(what)", "file": "\(file)"])
        publish(id, .faxStarted, leg: l) { e in
            e.text = what
            e.path = file
        }
    }

    /// The media engine's fax news.
    func faxEvent(_ event: MediaEngine.Event) {
        switch event {
        case .faxTone(let e, let tone):
            guard let owner = faxListeners[e] else { return }
            if tone == .cng { send(.detectFaxTones(e, false)); faxListeners[e] = nil }
            logger.info("fax tone", metadata: ["call.id": "\(owner.call)", "tone": "\(tone.rawValue)"])
            publish(owner.call, .faxDetected, leg: owner.leg) { $0.text = tone.rawValue }
        case .faxNegotiated(let e, let rate, let ecm):
            guard var run = faxes[e] else { return }
            run.rate = rate
            run.ecm = ecm
            faxes[e] = run
            publish(run.call, .faxNegotiated, leg: run.leg) { ev in
                ev.rate = rate
                ev.ecm = ecm
            }
        case .faxPage(let e, let pages):
            guard var run = faxes[e] else { return }
            run.pages = pages
            faxes[e] = run
            publish(run.call, .faxPage, leg: run.leg) { ev in
                ev.pages = pages
                ev.rate = run.rate
                ev.ecm = run.ecm
            }
        case .faxFinished(let e, let session):
            let result = session.close()  // SpanDSP freed and the received file closed, off the media thread
            guard let run = faxes[e], run.session === session else { return }
            faxes[e] = nil
            if calls[run.call] != nil {
                update(run.call) { call, _ in
                    var actions: [Call.Action] = []
                    for (k, v) in Self.faxVariables(result) { actions += call.attach(k, v) }
                    return actions
                }
            }
            logger.info("fax ended", metadata: ["call.id": "\(run.call)", "code": "\(result.code)", "result": "\(result.text)",
                                                "pages": "\(result.pages)", "rate": "\(result.rate)", "ecm": "\(result.ecm)"])
            publish(run.call, .faxEnded, leg: run.leg) { ev in
                ev.code = result.code
                ev.text = result.text
                ev.pages = result.pages
                ev.rate = result.rate
                ev.ecm = result.ecm
                ev.path = result.file
            }
        default:
            break
        }
    }

    /// A call ends with a fax still running (a hang-up mid-page): its CDR
    /// records the call dropped with the pages so far; `fax.ended` follows
    /// with SpanDSP's own code once the session is handed back.
    func faxCallEnding(_ id: String) {
        for (e, owner) in faxListeners where owner.call == id {
            send(.detectFaxTones(e, false))
            faxListeners[e] = nil
        }
        for (e, run) in faxes where run.call == id {
            send(.stopFax(e))
            let dropped = FaxResult(code: FaxResult.callDropped, pages: run.pages, rate: run.rate, ecm: run.ecm, file: run.session.file)
            for (k, v) in Self.faxVariables(dropped) { _ = calls[id]?.attach(k, v) }
        }
    }

    static func faxVariables(_ r: FaxResult) -> [(String, String)] {
        [("fax.code", "\(r.code)"), ("fax.result", r.text), ("fax.pages", "\(r.pages)"), ("fax.rate", "\(r.rate)"),
         ("fax.ecm", r.ecm ? "yes" : "no"), ("fax.file", r.file)]
    }
}

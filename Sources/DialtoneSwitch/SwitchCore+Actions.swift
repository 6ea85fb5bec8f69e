// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import Foundation
import Logging

/// Carries out what a call's state machine returns: signalling, media
/// (bridges, the conference, hold audio, tones), timers, events and, when
/// the call is finished, its CDR.
extension SwitchCore {
    func endpoint(_ id: String, _ leg: Int) -> MediaEngine.Endpoint? {
        guard let l = calls[id]?.leg(leg), let ch = l.channel else { return nil }
        return .init(span: l.span, channel: ch)
    }

    /// Queues a media command (the engine waits rather than drop one when its queue is full).
    func send(_ command: MediaEngine.Command) {
        if !media.send(command) {
            logger.error("media command not queued", metadata: ["command": "\(command)"])
        }
    }

    func perform(_ actions: [Call.Action], _ id: String) {
        for action in actions {
            switch action {
            case .signal(let span, let command):
                spans[span].dchannel.send(command)
            case .bridge(let b):
                guard let ea = endpoint(id, b.a), let eb = endpoint(id, b.b), let slot = freeBridges.popLast() else { continue }
                stopListening(id, leg: b.a)
                stopListening(id, leg: b.b)
                playlists[ea] = nil
                playlists[eb] = nil
                recorder.stop(call: id, calls: &calls, media: media)  // a one-party recording (a message) ends here
                engineBridges[BridgeKey(call: id, bridge: b.id)] = slot
                send(.bridge(id: slot, ea, eb))
                logger.info("bridged", metadata: ["call.id": "\(id)", "legs": "\(b.a)-\(b.b)", "bridge": "\(slot)"])
                bridged(id, b)
            case .unbridge(let b):
                recorder.stop(call: id, calls: &calls, media: media)
                guard let slot = engineBridges.removeValue(forKey: BridgeKey(call: id, bridge: b.id)) else { continue }
                send(.unbridge(id: slot))
                freeBridges.append(slot)
            case .joinConference(let leg):
                guard let e = endpoint(id, leg) else { continue }
                recorder.stop(call: id, calls: &calls, media: media)
                let c: Int
                if let existing = engineConferences[id] { c = existing } else {
                    guard let free = freeConferences.popLast() else {
                        logger.error("no free conference in the media engine", metadata: ["call.id": "\(id)"])
                        continue
                    }
                    engineConferences[id] = free
                    c = free
                }
                stopListening(id, leg: leg)
                send(.stopTone(e))
                send(.joinConference(c, e))
            case .leaveConference(let leg):
                guard let e = endpoint(id, leg), let c = engineConferences[id] else { continue }
                send(.leaveConference(c, e))
            case .hold(let leg):
                guard let e = endpoint(id, leg) else { continue }
                if let prompt = holdPrompt, play(prompt, language: nil, to: e, token: -1, loop: true) { continue }
                logger.debug("no hold audio; the held party hears silence", metadata: ["call.id": "\(id)"])
            case .unhold(let leg):
                guard let e = endpoint(id, leg) else { continue }
                playlists[e] = nil
                send(.stopPrompt(e))
            case .tone(let leg, let tone):
                guard let e = endpoint(id, leg) else { continue }
                send(.playTone(e, tone))
            case .stopTone(let leg):
                guard let e = endpoint(id, leg) else { continue }
                send(.stopTone(e))
            case .stopApplication(let leg):
                if let e = endpoint(id, leg) { send(.stopPrompt(e)) }
                stopListening(id, leg: leg)
                apps.sessions[id] = nil
            case .startTimer(let timer, let seconds):
                startTimer(id, timer, seconds: seconds)
            case .route(let number):
                route(id, number: number)
            case .event(let e):
                events.publish(e)
            case .finished:
                finished(id)
            }
        }
    }

    /// A bridge is up: statistics, the on-demand recording code, the recording policy.
    private func bridged(_ id: String, _ b: Bridge) {
        guard let call = calls[id] else { return }
        if !call.answeredLocally, call.bridges.count == 1, b.a == 1 { stats.answered += 1 }
        apps.transferring[id] = nil
        if recorder.config.onDemandCode != nil, b.a == 1 || b.b == 1 {
            listen(id, leg: 1)  // the caller's on-demand recording code through the call
        }
        if recorder.policyRecords(call, spanName: spans[call.legs[0].span].config.name) {
            do { try startRecording(id, reason: "policy") } catch {
                logger.notice("policy recording not started", metadata: ["call.id": "\(id)", "why": "\(error)"])
            }
        }
    }

    private func finished(_ id: String) {
        faxCallEnding(id)
        recorder.stop(call: id, calls: &calls, media: media)
        guard let call = calls.removeValue(forKey: id) else { return }
        if let fallback = startPending.removeValue(forKey: id) { timers.cancel(fallback) }
        apps.end(id)
        if !playlists.isEmpty { playlists = playlists.filter { $0.value.call != id } }
        for t in callTimers.removeValue(forKey: id) ?? [] { timers.cancel(t.handle) }
        for (endpoint, owner) in apps.listeners where owner == id {
            send(.detectDigits(endpoint, false))
            apps.listeners[endpoint] = nil
        }
        for (key, slot) in engineBridges where key.call == id {  // defensive: never leak a bridge
            send(.unbridge(id: slot))
            freeBridges.append(slot)
            engineBridges[key] = nil
        }
        if let c = engineConferences.removeValue(forKey: id) {
            for leg in call.conference.members { if let l = call.leg(leg), let ch = l.channel { send(.leaveConference(c, .init(span: l.span, channel: ch))) } }
            freeConferences.append(c)
        }
        for l in call.legs { legIndex[.init(span: l.span, ref: l.ref)] = nil }
        stats.completed += 1
        let record = makeRecord(call)
        logger.info("call ended", metadata: ["call.id": "\(id)", "cause": "\(record.cause)",
                                             "disposition": "\(record.disposition)",
                                             "duration_ms": "\(record.durationMs)"])
        sink.record(record)
    }

    private func makeRecord(_ call: Call) -> CDR {
        let cause = call.cause ?? .normalClearing
        let end = call.end ?? Date()
        let duration = call.answer.map { max(0, Int((end.timeIntervalSince($0) * 1000).rounded())) } ?? 0
        let first = call.inbound ?? call.legs.first
        let out = call.destination
        return CDR(callID: call.id, startTime: call.start, answerTime: call.answer, endTime: end,
                   ani: call.ani.digits, aniPlan: call.ani.plan, aniPresentation: call.ani.presentation, dnis: call.dnis,
                   dialed: out?.number, inSpan: first.map { spans[$0.span].config.name } ?? "-", inChannel: first?.channel ?? 0,
                   outSpan: out.map { spans[$0.span].config.name }, outChannel: out?.channel,
                   cause: cause.rawValue, causeText: cause.name, durationMs: duration,
                   disposition: call.disposition.rawValue, variables: call.variables, ivrPath: call.ivrPath)
    }
}

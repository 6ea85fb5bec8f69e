// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneAlarms
import DialtoneConfig
import DialtoneMedia
import DialtoneSignalling
import Foundation
import Logging

/// The signalling adapter: D-channel events become the calls' events; the
/// dialplan places the legs.
extension SwitchCore {
    func handle(span: Int, _ event: SignallingEvent) {
        let key = { (ref: CallRef) in ChannelAllocator.Key(span: span, ref: ref) }
        switch event {
        case .linkUp:
            linkUp[span] = true
            alarms.clear(AlarmID(.dchannelDown, spans[span].config.name))
            var e = SwitchEvent(.dchannelUp)
            e.span = spans[span].config.name
            events.publish(e)
        case .linkDown:
            linkUp[span] = false
            alarms.raise(AlarmID(.dchannelDown, spans[span].config.name), "Q.921 link down")
            var e = SwitchEvent(.dchannelDown)
            e.span = spans[span].config.name
            events.publish(e)
        case .incoming(let ref, let setup):
            incoming(span: span, ref: ref, setup: setup)
        case .digits(let ref, let digits, let complete):
            guard let (id, leg) = legIndex[key(ref)], let call = calls[id] else { return }
            if call.state == .collecting, leg == 1 {
                // Overlap receiving: the called number's digits, each on the event stream as it comes.
                for d in digits { publishDigit(call, leg: leg, ReceivedDigit(key: d, source: .information)) }
                let number = call.dnis + digits
                let now = complete || dialplan.isComplete(number)
                update(id) { call, _ in call.digits(digits, routeNow: now, interdigit: dialplan.interdigitTimeout) }
                return
            }
            // Keypad facility digits: the same events as digits heard in band.
            for d in digits { digit(id, leg: leg, ReceivedDigit(key: d, source: .keypad)) }
        case .setupAcknowledged, .progress:
            break
        case .proceeding(let ref, _):
            guard let (id, leg) = legIndex[key(ref)] else { return }
            update(id) { call, now in call.legProceeding(leg, now: now) }
        case .alerting(let ref):
            guard let (id, leg) = legIndex[key(ref)] else { return }
            update(id) { call, now in call.legAlerting(leg, now: now) }
        case .connected(let ref, _):
            guard let (id, leg) = legIndex[key(ref)] else { return }
            update(id) { call, now in call.legConnected(leg, now: now) }
        case .disconnected(let ref, let cause):
            guard let (id, leg) = legIndex[key(ref)] else { return }
            if returnToApplication(id, failed: leg, cause: cause, farEndCleared: true) { return }
            if divertOnFailure(id, failed: leg, cause: cause, farEndCleared: true) { return }
            update(id) { call, now in call.legDisconnected(leg, cause: cause, now: now) }
        case .released(let ref, let cause):
            // The channel is free once its call reference is gone, whatever
            // became of the call (one owner for each channel's lease).
            channels.release(key(ref))
            guard let (id, leg) = legIndex.removeValue(forKey: key(ref)) else { return }
            if calls[id]?.leg(leg)?.isUp == true, !returnToApplication(id, failed: leg, cause: cause, farEndCleared: true) {
                _ = divertOnFailure(id, failed: leg, cause: cause, farEndCleared: true)
            }
            update(id) { call, now in call.legReleased(leg, cause: cause, now: now) }
        case .restarting(let list):
            channels.restarting(span: span, channels: list)
        case .restartAcknowledged(let channel):
            logger.info("RESTART ACKNOWLEDGE", metadata: ["span": "\(spans[span].config.name)", "channel": "\(channel.map(String.init) ?? "all")"])
            channels.restartAcknowledged(span: span, channel: channel)
        case .restart(let channel):
            logger.info("RESTART", metadata: ["span": "\(spans[span].config.name)", "channel": "\(channel.map(String.init) ?? "all")"])
        case .protocolError(let text):
            logger.warning("protocol error", metadata: ["span": "\(spans[span].config.name)", "text": "\(text)"])
        }
    }

    func nextCallID() -> String {
        callCounter += 1
        return "\(idPrefix)-\(callCounter)"
    }

    private func incoming(span: Int, ref: CallRef, setup: IncomingSetup) {
        let s = spans[span]
        let id = nextCallID()
        var call = Call(id: id, inbound: ref, span: span, setup: setup, now: Date())
        if let customers, let data = customers.customerData(calling: setup.calling) {
            for (key, value) in data.sorted(by: { $0.key < $1.key }) { _ = call.attach(key, value) }
        }
        legIndex[.init(span: span, ref: ref)] = (id, 1)
        stats.offered += 1
        var meta: Logger.Metadata = ["call.id": "\(id)", "span": "\(s.config.name)", "ani": "\(setup.calling)",
                                     "dnis": "\(setup.called)", "channel": "\(setup.channel.map(String.init) ?? "-")"]
        logger.info("incoming call", metadata: meta)
        // Write-ahead: the call's start is made durable before the network
        // hears that it was taken, so a crash after CALL PROCEEDING still
        // leaves a CDR. The sink acknowledges within milliseconds (database
        // or journal); after 2 s the call goes on regardless.
        startPending[id] = timers.schedule(.startFallback(id), seconds: 2)
        let continuation = inbox
        sink.callStarted(CallStart(callID: id, startTime: call.start, ani: setup.calling.digits, aniPlan: setup.calling.plan,
                                   aniPresentation: setup.calling.presentation, dnis: setup.called,
                                   inSpan: s.config.name, inChannel: setup.channel ?? 0)) {
            continuation.yield(.startDurable(callID: id))
        }

        // Q.931 §5.2.3: the network side selects the B-channel when the user
        // left it open, or asked for one only as preferred and it is not free.
        var requested = setup.channel
        let usable = { (ch: Int) in self.channels.isFree(s.config, index: span, channel: ch) }
        if s.config.role == .net, requested == nil || (!setup.exclusive && !usable(requested!)) {
            requested = channels.free(s.config, index: span)
            if requested == nil {
                meta["reason"] = "no free B-channel"
                logger.warning("rejecting call", metadata: meta)
                call.assignInboundChannel(nil)
                calls[id] = call
                reject(id, channel: 0, cause: .noCircuitAvailable)
                return
            }
        }
        guard let channel = requested, usable(channel) else {
            meta["reason"] = "channel unavailable"
            logger.warning("rejecting call", metadata: meta)
            call.assignInboundChannel(nil)
            calls[id] = call
            reject(id, channel: setup.channel ?? 0, cause: .requestedChannelUnavailable)
            return
        }
        call.assignInboundChannel(channel)
        channels.lease(span: span, channel: channel, to: .init(span: span, ref: ref))
        calls[id] = call
        perform(call.created(span: s.config.name), id)
        guard accepting else {
            reject(id, channel: channel, cause: .temporaryFailure)
            return
        }
        guard setup.bearer.isVoice else {
            reject(id, channel: channel, cause: .bearerCapabilityNotAvailable)
            return
        }
        if startPending[id] == nil { proceed(id) }  // (the sink acknowledged at once)
    }

    /// The call's start is durable: CALL PROCEEDING (or SETUP ACKNOWLEDGE
    /// for overlap receiving) and routing, unless the call ended meanwhile.
    func startIsDurable(_ id: String) {
        guard let fallback = startPending.removeValue(forKey: id) else { return }
        timers.cancel(fallback)
        proceed(id)
    }

    private func proceed(_ id: String) {
        guard let call = calls[id], let leg = call.inbound, leg.state == .callPresent, leg.channel != nil else { return }
        let overlap = spans[leg.span].config.overlap && call.state == .collecting && !dialplan.isComplete(call.dnis)
        update(id) { call, now in call.proceed(overlap: overlap, interdigit: dialplan.interdigitTimeout, now: now) }
        if !overlap { route(id) }
    }

    /// Sends CALL PROCEEDING then clears (FACTS: libpri sends nothing for a
    /// hangup before PROCEEDING, leaving the caller to time out).
    private func reject(_ id: String, channel: Int, cause: Q931Cause) {
        guard let leg = calls[id]?.inbound else { return }
        // (with a channel, the call's clearing sends CALL PROCEEDING first itself)
        if leg.channel == nil { spans[leg.span].dchannel.send(.proceeding(leg.ref, channel: channel)) }
        clear(id, cause: cause, reason: "rejected")
    }

    /// Routes the call by its DNIS, or by `number` when an application transfers it.
    func route(_ id: String, number: String? = nil) {
        guard let call = calls[id] else { return }
        update(id) { call, now in call.startRouting(now: now) }
        let dnis = number ?? call.dnis
        switch dialplan.decide(dnis) {
        case .noRoute:
            logger.notice("no route", metadata: ["call.id": "\(id)", "dnis": "\(dnis)"])
            if returnToApplication(id, failed: nil, cause: .unallocatedNumber, farEndCleared: true) { return }
            clear(id, cause: .unallocatedNumber, reason: "no route")
        case .application(let action):
            startApplication(id, action)
        case .dial(let out, let spanNames, let timeout, let key):
            do {
                try place(id, number: out, spans: spanNames, purpose: .destination(for: 1), role: .outbound, answerTimeout: timeout)
                calls[id]?.routeKey = key
            } catch {
                logger.notice("all circuits busy", metadata: ["call.id": "\(id)", "dnis": "\(dnis)"])
                stats.congestion += 1
                if returnToApplication(id, failed: nil, cause: .noCircuitAvailable, farEndCleared: true) { return }
                clear(id, cause: .noCircuitAvailable, reason: "no circuit")
            }
        }
    }

    /// Places a leg of call `id` to `number` on the first of `spans` with its
    /// D-channel up and a free B-channel. Throws (changing nothing) when there is none.
    func place(_ id: String, number: String, spans names: [String], purpose: Call.Purpose, role: CallLeg.Role,
               answerTimeout: Double, channel wanted: Int? = nil) throws(CallControlError) {
        guard let call = calls[id] else { throw .noSuchCall(id) }
        for name in names {
            guard let target = spans.first(where: { $0.config.name == name }), linkUp[target.index] else { continue }
            let channel: Int
            if let wanted {
                guard channels.isFree(target.config, index: target.index, channel: wanted) else { continue }
                channel = wanted
            } else {
                guard let free = channels.free(target.config, index: target.index) else { continue }
                channel = free
            }
            let ref = target.dchannel.newCallRef()
            channels.lease(span: target.index, channel: channel, to: .init(span: target.index, ref: ref))
            legIndex[.init(span: target.index, ref: ref)] = (id, call.nextLegID)
            let law = target.config.law == .alaw ? Bearer.speechALaw : Bearer.speechMuLaw
            let setup = OutgoingSetup(channel: channel, calling: call.ani, called: number,
                                      bearer: Bearer(capability: call.bearer.capability, layer1: law.layer1))
            logger.info("placing leg", metadata: ["call.id": "\(id)", "leg": "\(call.nextLegID)", "number": "\(number)",
                                                  "out.span": "\(name)", "out.channel": "\(channel)"])
            update(id) { call, now in
                call.dial(span: target.index, ref: ref, channel: channel, number: number, role: role, setup: setup,
                          purpose: purpose, answerTimeout: answerTimeout, spanName: name, now: now)
            }
            return
        }
        throw .noCircuit(number)
    }
}

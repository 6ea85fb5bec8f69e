// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneAlarms
import DialtoneConfig
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Logging

/// A span as the switch uses it.
public struct SwitchSpan: Sendable {
    public let index: Int
    public let config: SpanConfig
    public let driver: any SpanDriver
    public let dchannel: DChannel

    public init(index: Int, config: SpanConfig, driver: any SpanDriver, dchannel: DChannel) {
        self.index = index
        self.config = config
        self.driver = driver
        self.dchannel = dchannel
    }
}

/// The switch core: owns every call, routes by DNIS, places the outbound
/// leg, bridges answered calls in the media engine and propagates clearing.
/// All signalling events from every D-channel arrive in one ordered stream.
public actor SwitchCore {
    enum Input: Sendable {
        case signalling(span: Int, SignallingEvent)
        case timer(callID: String, Timer)
        case alarms(span: Int, SpanAlarms)
        /// A call's start is durable (journaled or stored): the network may hear that it was taken.
        case startDurable(callID: String)
        case media(MediaEngine.Event)
    }

    enum Timer: Sendable { case answer, interdigit, app(Int) }

    public let spans: [SwitchSpan]
    private var routes: [RouteConfig]
    private let media: MediaEngine
    private let sink: any CallRecordSink
    private var logger: Logger
    private let inputs: AsyncStream<Input>
    private let inputContinuation: AsyncStream<Input>.Continuation

    private var calls: [String: Call] = [:]
    private var legs: [LegKey: String] = [:]
    private var busy: [Set<Int>]
    private var linkUp: [Bool]
    private var spanAlarms: [SpanAlarms]
    private var freeBridges: [Int] = Array((0..<MediaEngine.maxBridges).reversed())
    private var callCounter = 0
    private let idPrefix: String
    private var accepting = true
    private var stats = SwitchStatistics()
    private var routeTimeouts: [String: Double] = [:]
    private var applications: (any CallApplications)?
    /// Application sessions (IVR…) by call id.
    private var sessions: [String: any ApplicationSession] = [:]
    /// Which call an application channel belongs to (media events come by channel).
    private var mediaOwners: [MediaEngine.Endpoint: String] = [:]
    private var promptLanguage: String
    private var recording: RecordingConfig
    /// Sessions of calls an application transferred, until the transfer is answered.
    private var transferSessions: [String: any ApplicationSession] = [:]
    /// Outbound legs of failed transfers, until their call reference is released: their B-channel.
    private var orphanLegs: [LegKey: Int] = [:]
    /// Calls taken whose start the sink has not yet acknowledged as durable.
    private var startPending: Set<String> = []
    /// The B-channel each call reference holds, until it is released.
    private var leases: [LegKey: Int] = [:]
    /// Recordings being closed (file finished, entry handed to the sink), by slot.
    private var closing: [Int: Task<Void, Never>] = [:]
    /// Recordings the engine is still writing to, by slot.
    private var recordings: [Int: (callID: String, path: String, start: Date, alsa: AlsaStream?)] = [:]

    struct LegKey: Hashable {
        var span: Int
        var ref: CallRef
        /// A channel held out of use while our RESTART for it is unacknowledged (no call reference).
        static func restart(span: Int, channel: Int) -> LegKey { LegKey(span: span, ref: CallRef(rawValue: UInt64.max - UInt64(channel))) }
        var isRestart: Bool { ref.rawValue > UInt64.max - 256 }
    }

    /// Span, D-channel and recording alarms.
    public nonisolated let alarms: AlarmBoard

    public init(spans: [SwitchSpan], routes: [RouteConfig], media: MediaEngine,
                sink: any CallRecordSink, logger: Logger, applications: (any CallApplications)? = nil,
                promptLanguage: String = "en", recording: RecordingConfig = .init(), alarms: AlarmBoard? = nil) {
        self.alarms = alarms ?? AlarmBoard(logger: logger)
        self.recording = recording
        self.applications = applications
        self.promptLanguage = promptLanguage
        self.spans = spans
        self.routes = routes
        self.media = media
        self.sink = sink
        self.logger = logger
        busy = Array(repeating: [], count: spans.count)
        linkUp = Array(repeating: false, count: spans.count)
        spanAlarms = spans.map { $0.driver.alarms }
        (inputs, inputContinuation) = AsyncStream<Input>.makeStream()
        idPrefix = String(Int(Date().timeIntervalSince1970), radix: 36)
    }

    // MARK: Inputs (any thread)

    /// Entry point for a D-channel's events (called on its owner thread).
    public nonisolated func signalling(span: Int, _ event: SignallingEvent) {
        inputContinuation.yield(.signalling(span: span, event))
    }

    /// Entry point for a span driver's alarm changes.
    public nonisolated func spanAlarms(span: Int, _ alarms: SpanAlarms) {
        inputContinuation.yield(.alarms(span: span, alarms))
    }

    /// Processes inputs until ``finish()``.
    public func run() async {
        // Media events (digits, prompt ends) leave the media thread by an SPSC queue;
        // its consumer thread sleeps until the media thread rings for an event
        // and feeds them in order with the rest.
        let pump = media.deliverEvents { [inputContinuation] in inputContinuation.yield(.media($0)) }
        defer { pump.stop() }
        for await input in inputs {
            switch input {
            case .signalling(let span, let event): handle(span: span, event)
            case .timer(let id, let timer): timerFired(id, timer)
            case .media(let event): mediaEvent(event)
            case .startDurable(let id): startIsDurable(id)
            case .alarms(let span, let a):
                spanAlarms[span] = a
                alarms.set(AlarmID(.spanAlarm, spans[span].config.name), !a.isEmpty, "\(a)")
                logger.notice("span alarms", metadata: ["span": "\(spans[span].config.name)", "alarms": "\(a)",
                                                        "identity": "\(spans[span].driver.identity)"])
            }
        }
    }

    public func finish() { inputContinuation.finish() }

    // MARK: Queries

    public func activeCalls() -> [CallSummary] {
        calls.values.sorted { $0.start < $1.start }.map { CallSummary(call: $0, spans: spans) }
    }

    public func spanStatus() -> [SpanStatus] {
        spans.map { s in
            SpanStatus(name: s.config.name, identity: s.driver.identity, type: s.config.type.rawValue,
                       role: s.config.role.rawValue, switchType: s.config.switchType.rawValue,
                       law: s.config.law.rawValue, framing: s.config.framing, coding: s.config.coding,
                       alarms: "\(spanAlarms[s.index])", dchannelUp: linkUp[s.index],
                       channels: s.config.channels.count, busy: busy[s.index].count)
        }
    }

    public func statistics() -> SwitchStatistics {
        var s = stats
        s.active = calls.count
        return s
    }

    public var callCount: Int { calls.count }

    /// Applies a reloaded config: new calls follow the new routes, menus and
    /// recording policy; calls in progress keep the sessions they have.
    public func reload(routes: [RouteConfig], applications: (any CallApplications)?, promptLanguage: String,
                       recording: RecordingConfig, prompts: PromptLibrary? = nil) {
        // In this actor turn: plays sent before use the old ids, plays after the new.
        if let prompts { media.replacePrompts(prompts) }
        self.routes = routes
        self.applications = applications
        self.promptLanguage = promptLanguage
        self.recording = recording
        logger.notice("configuration reloaded", metadata: ["routes": "\(routes.count)", "calls": "\(calls.count)"])
    }

    /// Clears a call with `cause` (both legs, Q.931 clearing). False when there is no such call.
    @discardableResult
    public func hangup(_ id: String, cause: Q931Cause = .normalClearing) -> Bool {
        guard calls[id] != nil else { return false }
        clear(id, cause: cause, reason: "hung up by command")
        return true
    }

    /// B-channels held on each span (calls, clearing, or awaiting RESTART ACKNOWLEDGE).
    public func busyChannels() -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: spans.map { ($0.config.name, busy[$0.index].sorted()) })
    }

    /// Stops taking new calls; waits up to `timeout` for calls to end, then
    /// clears the rest with normal clearing and waits for them to release.
    public func drain(timeout: Duration) async {
        accepting = false
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !calls.isEmpty && clock.now < deadline {
            try? await clock.sleep(for: .milliseconds(50))
        }
        if !calls.isEmpty {
            logger.notice("clearing calls for shutdown", metadata: ["calls": "\(calls.count)"])
            for id in Array(calls.keys) { clear(id, cause: .normalClearing, reason: "shutdown") }
            let hard = clock.now.advanced(by: .seconds(5))
            while !calls.isEmpty && clock.now < hard {
                try? await clock.sleep(for: .milliseconds(50))
            }
        }
    }

    // MARK: Signalling

    private func handle(span: Int, _ event: SignallingEvent) {
        switch event {
        case .linkUp:
            linkUp[span] = true
            alarms.clear(AlarmID(.dchannelDown, spans[span].config.name))
        case .linkDown:
            linkUp[span] = false
            alarms.raise(AlarmID(.dchannelDown, spans[span].config.name), "Q.921 link down")
        case .incoming(let ref, let setup):
            incoming(span: span, ref: ref, setup: setup)
        case .digits(let ref, let digits, let complete):
            guard let id = legs[LegKey(span: span, ref: ref)], var call = calls[id] else { return }
            if call.state == .application, call.inbound.span == span, call.inbound.ref == ref {
                // Keypad facility digits: the same events as digits heard in band.
                for d in digits { appEvent(id, .digit(d)) }
                return
            }
            if call.state == .active, call.inbound.span == span, call.inbound.ref == ref {
                for d in digits { connectedDigit(id, d) }
                return
            }
            guard call.state == .collecting else { return }
            call.dnis += digits
            calls[id] = call
            if complete || digits.hasSuffix("#") || routeIsUnambiguous(call.dnis) {
                route(id)
            } else {
                startTimer(id, .interdigit, seconds: 5)
            }
        case .setupAcknowledged, .progress:
            break
        case .proceeding(let ref, _):
            update(span, ref) { call, _ in call.outboundProceeding(); return [] }
        case .alerting(let ref):
            update(span, ref) { call, now in call.outboundAlerting(now: now) }
        case .connected(let ref, _):
            update(span, ref) { call, now in call.outboundConnected(now: now) }
        case .disconnected(let ref, let cause):
            if let id = legs[LegKey(span: span, ref: ref)], let out = calls[id]?.outbound, out.span == span, out.ref == ref,
               returnToApplication(id, cause: cause, farEndCleared: true) { return }
            update(span, ref) { call, now in call.disconnected(ref, span: span, cause: cause, now: now) }
        case .released(let ref, let cause):
            let key = LegKey(span: span, ref: ref)
            // The channel is free once its call reference is gone, whatever
            // became of the call (STYLE: one owner for each channel's lease).
            unlease(key)
            if orphanLegs.removeValue(forKey: key) != nil {  // a failed transfer's leg
                legs[key] = nil
                return
            }
            guard let id = legs.removeValue(forKey: key), var call = calls[id] else { return }
            let actions = call.released(ref, span: span, cause: cause, now: Date())
            calls[id] = call
            perform(actions, id)
        case .restarting(let channels):
            for ch in channels where !busy[span].contains(ch) {
                lease(span: span, channel: ch, for: LegKey.restart(span: span, channel: ch))
            }
        case .restartAcknowledged(let channel):
            logger.info("RESTART ACKNOWLEDGE", metadata: ["span": "\(spans[span].config.name)", "channel": "\(channel.map(String.init) ?? "all")"])
            let keys = leases.filter { $0.key.span == span && $0.key.isRestart && (channel == nil || $0.value == channel) }.keys
            for key in keys { unlease(key) }
        case .restart(let channel):
            logger.info("RESTART", metadata: ["span": "\(spans[span].config.name)", "channel": "\(channel.map(String.init) ?? "all")"])
        case .protocolError(let text):
            logger.warning("protocol error", metadata: ["span": "\(spans[span].config.name)", "text": "\(text)"])
        }
    }

    private func update(_ span: Int, _ ref: CallRef, _ body: (inout Call, Date) -> [Call.Action]) {
        guard let id = legs[LegKey(span: span, ref: ref)], var call = calls[id] else { return }
        let actions = body(&call, Date())
        calls[id] = call
        perform(actions, id)
    }

    private func incoming(span: Int, ref: CallRef, setup: IncomingSetup) {
        let s = spans[span]
        callCounter += 1
        let id = "\(idPrefix)-\(callCounter)"
        let leg = CallLeg(span: span, ref: ref, channel: setup.channel, state: .callPresent)
        var call = Call(id: id, inbound: leg, setup: setup, now: Date())
        calls[id] = call
        legs[LegKey(span: span, ref: ref)] = id
        stats.offered += 1
        var meta: Logger.Metadata = ["call.id": "\(id)", "span": "\(s.config.name)", "ani": "\(setup.calling)",
                                     "dnis": "\(setup.called)", "channel": "\(setup.channel.map(String.init) ?? "-")"]
        logger.info("incoming call", metadata: meta)
        // Write-ahead: the call's start is made durable before the network
        // hears that it was taken, so a crash after CALL PROCEEDING still
        // leaves a CDR. The sink acknowledges within milliseconds (database
        // or journal); after 2 s the call goes on regardless.
        startPending.insert(id)
        let continuation = inputContinuation
        sink.callStarted(CallStart(callID: id, startTime: call.start, ani: setup.calling.digits, aniPlan: setup.calling.plan,
                                   aniPresentation: setup.calling.presentation, dnis: setup.called,
                                   inSpan: s.config.name, inChannel: setup.channel ?? 0)) {
            continuation.yield(.startDurable(callID: id))
        }
        Task {
            try? await Task.sleep(for: .seconds(2))
            continuation.yield(.startDurable(callID: id))
        }

        // Q.931 §5.2.3: the network side selects the B-channel when the user
        // left it open, or asked for one only as preferred and it is not free.
        var requested = setup.channel
        let usable = { (ch: Int) in s.config.channels.contains(ch) && !self.busy[span].contains(ch) }
        if s.config.role == .net, requested == nil || (!setup.exclusive && !usable(requested!)) {
            requested = freeChannel(s)
            if requested == nil {
                meta["reason"] = "no free B-channel"
                logger.warning("rejecting call", metadata: meta)
                call.inbound.channel = nil
                calls[id] = call
                reject(id, channel: 0, cause: .noCircuitAvailable)
                return
            }
        }
        guard let channel = requested, usable(channel) else {
            meta["reason"] = "channel unavailable"
            logger.warning("rejecting call", metadata: meta)
            call.inbound.channel = nil
            calls[id] = call
            reject(id, channel: setup.channel ?? 0, cause: .requestedChannelUnavailable)
            return
        }
        call.inbound.channel = channel
        lease(span: span, channel: channel, for: LegKey(span: span, ref: ref))
        guard accepting else {
            reject(id, channel: channel, cause: .temporaryFailure)
            return
        }
        guard setup.bearer.isVoice else {
            reject(id, channel: channel, cause: .bearerCapabilityNotAvailable)
            return
        }
        calls[id] = call
        if !startPending.contains(id) { proceed(id) }  // (the sink acknowledged at once)
    }

    /// The call's start is durable: CALL PROCEEDING (or SETUP ACKNOWLEDGE
    /// for overlap receiving) and routing, unless the call ended meanwhile.
    private func startIsDurable(_ id: String) {
        guard startPending.remove(id) != nil else { return }
        proceed(id)
    }

    private func proceed(_ id: String) {
        guard var call = calls[id], call.inbound.state == .callPresent, let channel = call.inbound.channel else { return }
        let s = spans[call.inbound.span], ref = call.inbound.ref
        if call.state == .collecting && s.config.overlap {
            call.inbound.state = .overlapReceiving
            calls[id] = call
            s.dchannel.send(.needMoreInfo(ref, channel: channel))
            if routeIsUnambiguous(call.dnis) { route(id) } else { startTimer(id, .interdigit, seconds: 5) }
            return
        }
        call.inbound.state = .incomingProceeding
        calls[id] = call
        s.dchannel.send(.proceeding(ref, channel: channel))
        route(id)
    }

    /// Sends CALL PROCEEDING then clears (FACTS: libpri sends nothing for a
    /// hangup before PROCEEDING, leaving the caller to time out).
    private func reject(_ id: String, channel: Int, cause: Q931Cause) {
        guard let call = calls[id] else { return }
        spans[call.inbound.span].dchannel.send(.proceeding(call.inbound.ref, channel: channel))
        clear(id, cause: cause, reason: "rejected")
    }

    private func routeIsUnambiguous(_ dnis: String) -> Bool {
        guard let r = routes.first(where: { $0.matches(dnis) }), case .exact = r.pattern else { return false }
        return !routes.contains { if case .exact(let n) = $0.pattern { n != dnis && n.hasPrefix(dnis) } else { false } }
    }

    /// Routes the call by its DNIS, or by `number` when an application transfers it.
    private func route(_ id: String, number: String? = nil) {
        guard var call = calls[id] else { return }
        let dnis = number ?? call.dnis
        if call.state == .collecting {
            call.inbound.state = .incomingProceeding
            calls[id] = call
            spans[call.inbound.span].dchannel.send(.proceeding(call.inbound.ref, channel: call.inbound.channel ?? 0))
        }
        var meta: Logger.Metadata = ["call.id": "\(id)", "dnis": "\(dnis)"]
        guard let route = routes.first(where: { $0.matches(dnis) }) else {
            logger.notice("no route", metadata: meta)
            if returnToApplication(id, cause: .unallocatedNumber, farEndCleared: true) { return }
            clear(id, cause: .unallocatedNumber, reason: "no route")
            return
        }
        if let action = route.action {
            startApplication(id, action)
            return
        }
        let number = route.translate(dnis)
        for name in route.spans {
            guard let target = spans.first(where: { $0.config.name == name }) else { continue }
            guard linkUp[target.index] else { continue }
            guard let channel = freeChannel(target) else { continue }
            let ref = target.dchannel.newCallRef()
            lease(span: target.index, channel: channel, for: LegKey(span: target.index, ref: ref))
            let leg = CallLeg(span: target.index, ref: ref, channel: channel, state: .callInitiated)
            call.dialing(leg, number: number, now: Date())
            switch route.pattern { case .exact(let t), .prefix(let t): call.routeKey = t }
            calls[id] = call
            legs[LegKey(span: target.index, ref: ref)] = id
            let bearer = target.config.law == .alaw ? Bearer.speechALaw : Bearer.speechMuLaw
            target.dchannel.send(.setup(ref, OutgoingSetup(channel: channel, calling: call.ani, called: number,
                                                           bearer: Bearer(capability: call.bearer.capability,
                                                                          layer1: bearer.layer1))))
            meta["out.span"] = "\(name)"
            meta["out.channel"] = "\(channel)"
            logger.info("routing", metadata: meta)
            startTimer(id, .answer, seconds: route.answerTimeout)
            return
        }
        logger.notice("all circuits busy", metadata: meta)
        stats.congestion += 1
        if returnToApplication(id, cause: .noCircuitAvailable, farEndCleared: true) { return }
        clear(id, cause: .noCircuitAvailable, reason: "no circuit")
    }

    /// Marks `channel` busy for the leg until its call reference is released.
    private func lease(span: Int, channel: Int, for key: LegKey) {
        busy[span].insert(channel)
        leases[key] = channel
    }

    private func unlease(_ key: LegKey) {
        guard let channel = leases.removeValue(forKey: key) else { return }
        busy[key.span].remove(channel)
    }

    /// NET side picks from the top down, CPE from the bottom up, to avoid glare.
    private func freeChannel(_ span: SwitchSpan) -> Int? {
        let order = span.config.role == .net ? span.config.channels.reversed() : span.config.channels
        return order.first { !busy[span.index].contains($0) }
    }

    private func clear(_ id: String, cause: Q931Cause, reason: String) {
        guard var call = calls[id] else { return }
        let actions = call.clear(cause: cause, reason: reason, now: Date())
        calls[id] = call
        perform(actions, id)
    }

    private func startTimer(_ id: String, _ timer: Timer, seconds: Double) {
        let continuation = inputContinuation
        Task {
            try? await Task.sleep(for: .seconds(clamping: seconds))
            continuation.yield(.timer(callID: id, timer))
        }
    }

    private func timerFired(_ id: String, _ timer: Timer) {
        guard let call = calls[id] else { return }
        switch timer {
        case .answer where call.state == .routing || call.state == .ringing:
            if returnToApplication(id, cause: .noAnswer, farEndCleared: false) { return }
            clear(id, cause: .noAnswer, reason: "answer timeout")
        case .interdigit where call.state == .collecting:
            route(id)
        case .app(let token) where call.state == .application:
            appEvent(id, .timer(token: token))
        default:
            break
        }
    }

    // MARK: Applications

    /// Answers the call (if not yet) and gives it to the application for `action`.
    private func startApplication(_ id: String, _ action: IVRAction) {
        guard var call = calls[id], let channel = call.inbound.channel else { return }
        let info = AppCallInfo(callID: id, ani: call.ani.digits, dnis: call.dnis, span: spans[call.inbound.span].config.name,
                               variables: call.variables)
        guard let session = applications?.session(for: action, call: info) else {
            logger.warning("no application for the route's action", metadata: ["call.id": "\(id)", "action": "\(action)"])
            clear(id, cause: .facilityNotImplemented, reason: "no application for \(action)")
            return
        }
        let endpoint = MediaEngine.Endpoint(span: call.inbound.span, channel: channel)
        let firstTime = !call.answeredLocally
        let actions = call.answerLocally(now: Date())
        calls[id] = call
        perform(actions, id)
        if firstTime {
            stats.answered += 1
            listen(id, endpoint)
            logger.info("answered by application", metadata: ["call.id": "\(id)", "action": "\(action)"])
        }
        sessions[id] = session
        appEvent(id, .started)
    }

    private func mediaEvent(_ event: MediaEngine.Event) {
        switch event {
        case .digit(let endpoint, let byte):
            guard let id = mediaOwners[endpoint] else {
                logger.debug("in-band digit on a channel no call owns", metadata: ["span": "\(endpoint.span)", "channel": "\(endpoint.channel)"])
                return
            }
            logger.debug("in-band digit", metadata: ["call.id": "\(id)", "digit": "\(Character(UnicodeScalar(byte)))",
                                                     "state": "\(calls[id].map { "\($0.state)" } ?? "-")"])
            if calls[id]?.state == .active {
                connectedDigit(id, Character(UnicodeScalar(byte)))
            } else {
                appEvent(id, .digit(Character(UnicodeScalar(byte))))
            }
        case .promptFinished(let endpoint, let token):
            guard let id = mediaOwners[endpoint] else { return }
            appEvent(id, .promptFinished(token: token))
        case .recordingStopped(let slot):
            guard let r = recordings.removeValue(forKey: slot), let recorder = media.recorder else { return }
            let sink = self.sink, logger = self.logger, format = recording.format, layout = recording.layout
            let alarmsBoard = alarms, directory = recording.directory
            let task = Task.detached {
                guard let result = recorder.close(slot: slot) else { return }
                let end = Date()
                if let a = r.alsa {
                    logger.log(level: a.failed || a.dropped > 0 ? .warning : .info, "ALSA stream closed", metadata: [
                        "call.id": "\(r.callID)", "alsa.device": "\(a.device)", "alsa.frames": "\(a.framesWritten)",
                        "alsa.xruns": "\(a.xruns)", "alsa.dropped": "\(a.dropped)", "alsa.failed": "\(a.failed)"])
                }
                if !result.complete {
                    alarmsBoard.raise(AlarmID(.recordingFailure, directory), result.problem ?? "audio lost")
                    if SwitchCore.isFull(result.problem) { alarmsBoard.raise(AlarmID(.diskFull, directory), result.problem ?? "") }
                    logger.warning("recording incomplete", metadata: ["call.id": "\(r.callID)", "path": "\(result.path)",
                                                                    "problem": "\(result.problem ?? "-")"])
                }
                if result.dataBytes == 0 {
                    // No audio at all (it could not start, or the disk was full from the first frame): no empty file.
                    unlink(result.path)
                    logger.error("recording holds no audio; file removed", metadata: [
                        "call.id": "\(r.callID)", "path": "\(result.path)", "problem": "\(result.problem ?? "-")"])
                    return
                }
                sink.recording(RecordingRow(callID: r.callID, path: result.path, format: format.rawValue,
                                            layout: layout.rawValue, startTime: r.start, endTime: end,
                                            durationMs: result.frames * 20, bytes: result.dataBytes,
                                            complete: result.complete, problem: result.problem))
            }
            closing[slot] = task
            Task { [weak self] in
                await task.value
                await self?.closed(slot)
            }
        }
    }

    // MARK: Recording

    /// True when a recording rule covers the call (percent rules sample at random).
    private func policyRecords(_ call: Call) -> Bool {
        let span = spans[call.inbound.span].config.name
        for rule in recording.rules {
            if let s = rule.span, s != span { continue }
            if let r = rule.route, r != call.routeKey { continue }
            return rule.percent >= 100 || Double.random(in: 0..<100) < rule.percent
        }
        return false
    }

    /// Starts recording a bridged call (by policy, DTMF or the API). False with a reason when it cannot.
    @discardableResult
    public func startRecording(_ id: String, reason: String = "api") -> String? {
        guard let recorder = media.recorder else { return "recording is not configured" }
        guard var call = calls[id] else { return "no call \(id)" }
        guard call.recordingSlot == nil else { return "call \(id) is already recorded" }
        guard call.state == .active, let inCh = call.inbound.channel, let out = call.outbound, let outCh = out.channel else {
            return "call \(id) is not connected"
        }
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = TimeZone(identifier: "UTC")
        let now = Date()
        let path = "\(recording.directory)/\(day.string(from: now))/" +
            RecordingWriter.fileName(start: now, callID: id, ani: call.ani.description, dnis: call.dnis)
        var alsa: AlsaStream?
        if let device = recording.alsaDevice {
            do {
                let stream = AlsaStream(device: device, configText: recording.alsaConfig,
                                        channels: recording.layout.channels, logger: logger)
                try stream.start()
                alsa = stream
            } catch {
                logger.error("ALSA stream not opened; recording to the file only", metadata: ["call.id": "\(id)", "error": "\(error)"])
            }
        }
        let slot: Int
        do {
            slot = try recorder.open(path: path, format: recording.format, layout: recording.layout,
                                     laws: (spans[call.inbound.span].config.law, spans[out.span].config.law), alsa: alsa)
        } catch {
            logger.warning("recording not started; the call goes on", metadata: ["call.id": "\(id)", "error": "\(error)"])
            raiseRecordingAlarm("\(error)")
            return "\(error)"
        }
        alarms.clear(AlarmID(.recordingFailure, recording.directory))
        call.recordingSlot = slot
        calls[id] = call
        recordings[slot] = (id, path, now, alsa)
        media.send(.record(slot: slot, first: .init(span: call.inbound.span, channel: inCh), second: .init(span: out.span, channel: outCh)))
        logger.info("recording", metadata: ["call.id": "\(id)", "path": "\(path)", "reason": "\(reason)"])
        return nil
    }

    /// A digit from the caller during a connected call: the on-demand recording code.
    private func connectedDigit(_ id: String, _ digit: Character) {
        guard var call = calls[id], let code = recording.onDemandCode else { return }
        call.connectedDigits = String((call.connectedDigits + String(digit)).suffix(code.count))
        calls[id] = call
        if call.connectedDigits == code {
            call.connectedDigits = ""
            calls[id] = call
            if let problem = startRecording(id, reason: "dtmf \(code)") {
                logger.notice("on-demand recording not started", metadata: ["call.id": "\(id)", "why": "\(problem)"])
            }
        }
    }

    private func stopRecording(_ id: String) {
        guard var call = calls[id], let slot = call.recordingSlot else { return }
        call.recordingSlot = nil
        calls[id] = call
        media.send(.stopRecording(slot: slot))
    }

    /// A transfer from an application failed before answer: when the
    /// session has somewhere to take the caller, the outbound leg is let go
    /// (hung up unless its far end cleared it), the caller is the
    /// application's again, and true. False: the call clears as before.
    private func returnToApplication(_ id: String, cause: Q931Cause, farEndCleared: Bool) -> Bool {
        guard var call = calls[id], call.answeredLocally, !call.outboundAnswered,
              call.state == .routing || call.state == .ringing,
              var session = transferSessions.removeValue(forKey: id), let channel = call.inbound.channel else { return false }
        let commands = session.handle(.transferFailed(cause: cause), now: Date())
        guard !commands.isEmpty else { return false }
        if let out = call.outbound {
            let key = LegKey(span: out.span, ref: out.ref)
            if let ch = out.channel { orphanLegs[key] = ch } else { legs[key] = nil }
            if !farEndCleared { spans[out.span].dchannel.send(.hangup(out.ref, .normalClearing)) }
        }
        let actions = call.returnToApplication(now: Date())
        calls[id] = call
        perform(actions, id)
        listen(id, MediaEngine.Endpoint(span: call.inbound.span, channel: channel))
        sessions[id] = session
        logger.notice("transfer failed; the caller is back in the application",
                      metadata: ["call.id": "\(id)", "cause": "\(cause.rawValue)"])
        for command in commands { appCommand(id, command) }
        return true
    }

    /// The call hears the caller's digits: DTMF detection on, the channel's media events are the call's.
    private func listen(_ id: String, _ endpoint: MediaEngine.Endpoint) {
        media.send(.detectDigits(endpoint, true))
        mediaOwners[endpoint] = id
    }

    /// Feeds an event to the call's session and carries out what it asks.
    private func appEvent(_ id: String, _ event: AppEvent) {
        guard var session = sessions[id], calls[id]?.state == .application else { return }
        let commands = session.handle(event, now: Date())
        sessions[id] = session
        for command in commands { appCommand(id, command) }
    }

    private func appCommand(_ id: String, _ command: AppCommand) {
        guard var call = calls[id], call.state == .application, let channel = call.inbound.channel else { return }
        let endpoint = MediaEngine.Endpoint(span: call.inbound.span, channel: channel)
        switch command {
        case .play(let prompt, let language, let token):
            let lang = language ?? promptLanguage
            if let library = media.prompts,
               let pid = library.id(prompt, language: lang) ?? library.id(prompt, language: promptLanguage) {
                media.send(.playPrompt(endpoint, prompt: pid, token: token))
            } else {
                // A missing prompt must not strand the caller: carry on as if it had played.
                logger.warning("prompt missing, skipped", metadata: ["call.id": "\(id)", "prompt": "\(prompt)", "language": "\(lang)"])
                let continuation = inputContinuation
                continuation.yield(.media(.promptFinished(endpoint, token: token)))
            }
        case .stopPrompt:
            media.send(.stopPrompt(endpoint))
        case .startTimer(let token, let seconds):
            startTimer(id, .app(token), seconds: seconds)
        case .set(let variable, let value):
            call.variables[variable] = value
            calls[id] = call
        case .visit(let step):
            call.ivrPath.append(step)
            calls[id] = call
        case .transfer(let number):
            logger.info("application transfers", metadata: ["call.id": "\(id)", "number": "\(number)"])
            transferSessions[id] = sessions[id]  // until answered: a failed transfer goes back to it
            let actions = call.leaveApplication(now: Date())
            calls[id] = call
            perform(actions, id)
            route(id, number: number)
        case .handOver(let action):
            sessions[id] = nil
            startApplication(id, action)
        case .hangup(let cause):
            clear(id, cause: cause, reason: "application hung up")
        }
    }

    // MARK: Actions

    private func perform(_ actions: [Call.Action], _ id: String) {
        for action in actions {
            switch action {
            case .signal(let span, let command):
                spans[span].dchannel.send(command)
            case .bridge(let a, let b):
                guard var call = calls[id], let bridge = freeBridges.popLast() else { continue }
                call.bridgeID = bridge
                calls[id] = call
                media.send(.bridge(id: bridge, a, b))
                if !call.answeredLocally { stats.answered += 1 }
                transferSessions[id] = nil
                logger.info("answered, bridged", metadata: ["call.id": "\(id)", "bridge": "\(bridge)"])
                if recording.onDemandCode != nil, let ch = call.inbound.channel {
                    // Listen for the caller's on-demand recording code through the call.
                    listen(id, MediaEngine.Endpoint(span: call.inbound.span, channel: ch))
                }
                if policyRecords(call) { startRecording(id, reason: "policy") }
            case .tone(let endpoint, let tone):
                media.send(.playTone(endpoint, tone))
            case .stopTone(let endpoint):
                media.send(.stopTone(endpoint))
            case .stopApplication(let endpoint):
                media.send(.stopPrompt(endpoint))
                media.send(.detectDigits(endpoint, false))
                mediaOwners[endpoint] = nil
                sessions[id] = nil
            case .unbridge:
                stopRecording(id)
                if let call = calls[id], let ch = call.inbound.channel {
                    let endpoint = MediaEngine.Endpoint(span: call.inbound.span, channel: ch)
                    if mediaOwners[endpoint] == id {
                        media.send(.detectDigits(endpoint, false))
                        mediaOwners[endpoint] = nil
                    }
                }
                guard var call = calls[id], let bridge = call.bridgeID else { continue }
                media.send(.unbridge(id: bridge))
                freeBridges.append(bridge)
                call.bridgeID = nil
                calls[id] = call
            case .finished:
                stopRecording(id)
                guard let call = calls.removeValue(forKey: id) else { continue }
                startPending.remove(id)
                sessions[id] = nil
                transferSessions[id] = nil
                for (endpoint, owner) in mediaOwners where owner == id {
                    media.send(.detectDigits(endpoint, false))
                    mediaOwners[endpoint] = nil
                }
                if let bridge = call.bridgeID {  // defensive: never leak a bridge
                    media.send(.unbridge(id: bridge))
                    freeBridges.append(bridge)
                }
                stats.completed += 1
                let record = makeRecord(call)
                logger.info("call ended", metadata: ["call.id": "\(id)", "cause": "\(record.cause)",
                                                     "disposition": "\(record.disposition)",
                                                     "duration_ms": "\(record.durationMs)"])
                sink.record(record)
            }
        }
    }

    private func makeRecord(_ call: Call) -> CDR {
        let cause = call.cause ?? .normalClearing
        let end = call.end ?? Date()
        let duration = call.answer.map { max(0, Int((end.timeIntervalSince($0) * 1000).rounded())) } ?? 0
        return CDR(callID: call.id, startTime: call.start, answerTime: call.answer, endTime: end,
                   ani: call.ani.digits, aniPlan: call.ani.plan, aniPresentation: call.ani.presentation, dnis: call.dnis,
                   dialed: call.dialed, inSpan: spans[call.inbound.span].config.name, inChannel: call.inbound.channel ?? 0,
                   outSpan: call.outbound.map { spans[$0.span].config.name }, outChannel: call.outbound?.channel,
                   cause: cause.rawValue, causeText: cause.name, durationMs: duration,
                   disposition: call.disposition.rawValue, variables: call.variables, ivrPath: call.ivrPath)
    }

    private func raiseRecordingAlarm(_ problem: String) {
        alarms.raise(AlarmID(.recordingFailure, recording.directory), problem)
        if SwitchCore.isFull(problem) { alarms.raise(AlarmID(.diskFull, recording.directory), problem) }
    }

    static func isFull(_ problem: String?) -> Bool {
        guard let p = problem?.lowercased() else { return false }
        return p.contains("no space") || p.contains("too large") || p.contains("enospc") || p.contains("efbig") || p.contains("quota")
    }

    /// No recording open or closing (stop: the media engine may stop).
    public var recordingsSettled: Bool { recordings.isEmpty && closing.isEmpty }

    /// A recording's file is closed and its entry handed to the sink.
    private func closed(_ slot: Int) { closing[slot] = nil }

    /// Waits until every recording that was stopped is closed and handed to
    /// the sink (CDRs are handed over synchronously when calls end).
    public func settle() async {
        while let task = closing.values.first {
            await task.value
            closing = closing.filter { !$0.value.isCancelled && $0.value != task }
        }
    }
}

/// Counters since start.
public struct SwitchStatistics: Sendable, Codable, Equatable {
    public var offered = 0
    public var answered = 0
    public var completed = 0
    public var congestion = 0
    public var active = 0
}

/// What `dialtone calls` shows about a call.
public struct CallSummary: Sendable, Codable, Equatable {
    public var id: String
    public var state: String
    public var ani: String
    public var dnis: String
    public var inSpan: String
    public var inChannel: Int?
    public var inState: String
    public var outSpan: String?
    public var outChannel: Int?
    public var outState: String?
    public var start: Date
    public var answer: Date?
    /// The call is being recorded.
    public var recording: Bool

    init(call: Call, spans: [SwitchSpan]) {
        id = call.id
        state = call.state.rawValue
        ani = call.ani.description
        dnis = call.dnis
        inSpan = spans[call.inbound.span].config.name
        inChannel = call.inbound.channel
        inState = call.inbound.state.rawValue
        outSpan = call.outbound.map { spans[$0.span].config.name }
        outChannel = call.outbound?.channel
        outState = call.outbound?.state.rawValue
        recording = call.recordingSlot != nil
        start = call.start
        answer = call.answer
    }
}

/// What `dialtone spans` shows about a span.
public struct SpanStatus: Sendable, Codable, Equatable {
    public var name: String
    public var identity: String
    public var type: String
    public var role: String
    public var switchType: String
    public var law: String
    public var framing: String
    public var coding: String
    public var alarms: String
    public var dchannelUp: Bool
    public var channels: Int
    public var busy: Int
}

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

/// The switch core: the registry of calls and the one owner of their state.
/// Signalling events from every D-channel, media events, timers and the
/// call-control API's commands arrive here in one ordered stream of actor
/// turns; each call's pure state machine (``Call``) decides and this actor
/// carries out its actions (signalling, media, events, the CDR).
///
/// By concern: the signalling adapter (`SwitchCore+Signalling`), the
/// call-control API (`SwitchCore+Control`), the actions' executor
/// (`SwitchCore+Actions`), the application host (`SwitchCore+Applications`),
/// the recording service (`RecordingService`), the channel allocator and
/// the dialplan.
public actor SwitchCore {
    enum Input: Sendable {
        case signalling(span: Int, SignallingEvent)
        /// The timers' sleeper woke: some may be due (``SwitchTimers``).
        case timersDue
        case alarms(span: Int, SpanAlarms)
        /// A call's start is durable (journaled or stored): the network may hear that it was taken.
        case startDurable(callID: String)
        /// A media event, with when its consumer thread took it from the
        /// engine (an in-band digit's time is that less the tone's age).
        case media(MediaEngine.Event, received: Date = Date())
    }

    public let spans: [SwitchSpan]
    var dialplan: Dialplan
    let media: MediaEngine
    let sink: any CallRecordSink
    var logger: Logger
    /// Every input in arrival order (D-channels, timers, the sink, media events, alarms).
    let inbox = SwitchInbox()
    let clock: any Clock<Duration>

    /// The call registry: calls by id, and which call each call reference belongs to.
    var calls: [String: Call] = [:]
    var legIndex: [ChannelAllocator.Key: (call: String, leg: Int)] = [:]
    var channels: ChannelAllocator
    var linkUp: [Bool]
    var spanAlarms: [SpanAlarms]
    /// Media engine bridges and conferences by their call's objects.
    var engineBridges: [BridgeKey: Int] = [:]
    var freeBridges: [Int] = Array((0..<MediaEngine.maxBridges).reversed())
    /// The customer table, looked up when a call arrives (nil: no lookup).
    let customers: (any CustomerDirectory)?
    /// Prompts still to play, by endpoint (`play(prompts:)`).
    var playlists: [MediaEngine.Endpoint: Playlist] = [:]
    struct Playlist: Sendable { var call: String; var leg: Int; var rest: [Int]; var loop: Int?; var last: String; var clip: AudioClip? = nil }
    /// Recorded messages played lately, by path (kept a while after, so that the media thread never frees one).
    var clipCache: [String: (clip: AudioClip, used: Date)] = [:]
    static let playlistToken = -2
    /// Fax sessions running, by endpoint (`fax`), and fax tone detection on (`detectFax`).
    var faxes: [MediaEngine.Endpoint: FaxRun] = [:]
    var faxListeners: [MediaEngine.Endpoint: (call: String, leg: Int)] = [:]
    /// Calls linked to another call, both ways (`link`).
    var links: [String: CallLink] = [:]
    var engineConferences: [String: Int] = [:]
    var freeConferences: [Int] = Array((0..<MediaEngine.maxConferences).reversed())
    /// Timers on the injected clock (one sleeping task for all); each call's armed ones by kind.
    let timers: any SwitchTimers
    var callTimers: [String: [(kind: Call.TimerKind, handle: TimerHandle)]] = [:]
    var callCounter = 0
    let idPrefix: String
    var accepting = true
    var stats = SwitchStatistics()
    var applications: (any CallApplications)?
    var apps = ApplicationHost()
    var promptLanguage: String
    /// The prompt played in a loop to a held party (nil: silence).
    var holdPrompt: String?
    var recorder: RecordingService
    /// Calls taken whose start the sink has not yet acknowledged as durable, with their fallback timer.
    var startPending: [String: TimerHandle] = [:]

    struct BridgeKey: Hashable { var call: String; var bridge: Int }

    /// Span, D-channel and recording alarms.
    public nonisolated let alarms: AlarmBoard
    /// Everything that happens, for the API, the CLI (`dialtone events`) and applications.
    public nonisolated let events: EventStream
    /// Long-lived applications calls are handed to by name.
    public nonisolated let hosted = HostedApplications()

    public init(spans: [SwitchSpan], routes: [RouteConfig], media: MediaEngine,
                sink: any CallRecordSink, logger: Logger, applications: (any CallApplications)? = nil,
                promptLanguage: String = "en", recording: RecordingConfig = .init(), alarms: AlarmBoard? = nil,
                holdPrompt: String? = "hold", clock: any Clock<Duration> = ContinuousClock(), interdigitTimeout: Double = 5,
                customers: (any CustomerDirectory)? = nil) {
        self.customers = customers
        let board = alarms ?? AlarmBoard(logger: logger)
        self.alarms = board
        let stream = EventStream()
        events = stream
        self.applications = applications
        self.promptLanguage = promptLanguage
        self.holdPrompt = holdPrompt
        self.spans = spans
        dialplan = Dialplan(routes: routes, interdigitTimeout: interdigitTimeout)
        self.media = media
        self.sink = sink
        self.logger = logger
        self.clock = clock
        recorder = RecordingService(config: recording, writer: media.recorder, alarms: board, sink: sink, logger: logger)
        channels = ChannelAllocator(spans: spans.count)
        linkUp = Array(repeating: false, count: spans.count)
        spanAlarms = spans.map { $0.driver.alarms }
        let inbox = inbox
        timers = makeSwitchTimers(clock: clock) { inbox.yield(.timersDue) }
        idPrefix = String(Int(Date().timeIntervalSince1970), radix: 36)
        board.observe { alarm, raised in
            var e = SwitchEvent(raised ? .alarmRaised : .alarmCleared)
            e.key = alarm.kind
            e.value = alarm.subject
            e.text = alarm.detail
            stream.publish(e)
        }
    }

    // MARK: Inputs (any thread)

    /// Entry point for a D-channel's events (called on its owner thread).
    public nonisolated func signalling(span: Int, _ event: SignallingEvent) {
        inbox.yield(.signalling(span: span, event))
    }

    /// Entry point for a span driver's alarm changes.
    public nonisolated func spanAlarms(span: Int, _ alarms: SpanAlarms) {
        inbox.yield(.alarms(span: span, alarms))
    }

    /// Processes inputs until ``finish()``.
    public func run() async {
        // Media events (digits, prompt ends) leave the media thread by an SPSC queue;
        // its consumer thread sleeps until the media thread rings for an event
        // and feeds them in order with the rest.
        let pump = media.deliverEvents { [inbox] in inbox.yield(.media($0, received: Date())) }
        defer { pump.stop() }
        var batch: [Input] = []
        while await inbox.take(into: &batch) {
            for input in batch { take(input) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func take(_ input: Input) {
        switch input {
        case .signalling(let span, let event): handle(span: span, event)
        case .timersDue:
            for due in timers.due() {
                switch due {
                case .call(let id, let timer): timerFired(id, timer)
                case .startFallback(let id): startIsDurable(id)
                }
            }
        case .media(let event, let received): mediaEvent(event, received: received)
        case .startDurable(let id): startIsDurable(id)
        case .alarms(let span, let a):
            let was = spanAlarms[span]
            spanAlarms[span] = a
            alarms.set(AlarmID(.spanAlarm, spans[span].config.name), !a.isEmpty, "\(a)")
            if was.isEmpty != a.isEmpty {
                var e = SwitchEvent(a.isEmpty ? .spanUp : .spanDown)
                e.span = spans[span].config.name
                e.text = "\(a)"
                events.publish(e)
            }
            logger.notice("span alarms", metadata: ["span": "\(spans[span].config.name)", "alarms": "\(a)",
                                                    "identity": "\(spans[span].driver.identity)"])
        }
    }

    public func finish() {
        timers.stop()
        inbox.finish()
        events.finish()
    }

    // MARK: Queries

    public func activeCalls() -> [CallSummary] {
        calls.values.sorted { $0.start < $1.start }.map { CallSummary(call: $0, spans: spans) }
    }

    /// One call as the API shows it (legs, bridges, data), nil when there is no such call.
    /// The calling party of a call (number, type of number and plan), for a customer lookup.
    public func callingParty(_ id: String) -> PartyNumber? { calls[id]?.ani }

    public func call(_ id: String) -> CallSummary? { calls[id].map { CallSummary(call: $0, spans: spans) } }

    public func spanStatus() -> [SpanStatus] {
        spans.map { s in
            SpanStatus(name: s.config.name, identity: s.driver.identity, type: s.config.type.rawValue,
                       role: s.config.role.rawValue, switchType: s.config.switchType.rawValue,
                       law: s.config.law.rawValue, framing: s.config.framing, coding: s.config.coding,
                       alarms: "\(spanAlarms[s.index])", dchannelUp: linkUp[s.index],
                       channels: s.config.channels.count, busy: channels.busy[s.index].count)
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
                       recording: RecordingConfig, prompts: PromptLibrary? = nil, holdPrompt: String? = nil) {
        // In this actor turn: plays sent before use the old ids, plays after the new.
        if let prompts { media.replacePrompts(prompts) }
        dialplan.routes = routes
        self.applications = applications
        self.promptLanguage = promptLanguage
        if let holdPrompt { self.holdPrompt = holdPrompt }
        recorder.config = recording
        logger.notice("configuration reloaded", metadata: ["routes": "\(routes.count)", "calls": "\(calls.count)"])
    }

    /// B-channels held on each span (calls, clearing, or awaiting RESTART ACKNOWLEDGE).
    public func busyChannels() -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: spans.map { ($0.config.name, channels.busy[$0.index].sorted()) })
    }

    /// Stops taking new calls; waits up to `timeout` for calls to end, then
    /// clears the rest with normal clearing and waits for them to release.
    public func drain(timeout: Duration) async {
        accepting = false
        await waitForNoCalls(timeout: timeout)
        if !calls.isEmpty {
            logger.notice("clearing calls for shutdown", metadata: ["calls": "\(calls.count)"])
            for id in Array(calls.keys) { clear(id, cause: .normalClearing, reason: "shutdown") }
            await waitForNoCalls(timeout: .seconds(5))
        }
    }

    /// Returns when no call is left (woken by `call.ended` events, no polling) or after `timeout`.
    private func waitForNoCalls(timeout: Duration) async {
        guard !calls.isEmpty else { return }
        let ended = events.subscribe()  // in this actor turn: no call.ended can be missed
        let clock = self.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: timeout) }
            group.addTask { [weak self] in
                for await e in ended where e.type == .callEnded {
                    if await self?.callCount ?? 0 == 0 { return }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// No recording open or closing (stop: the media engine may stop).
    public var recordingsSettled: Bool { recorder.settled }

    /// Waits until every recording that was stopped is closed and handed to
    /// the sink (CDRs are handed over synchronously when calls end).
    public func settle() async {
        // Each close once, also those started while waiting. (A recording
        // still open is not waited for: looping on `settled` would spin.)
        var awaited: Set<Task<Void, Never>> = []
        while let task = recorder.closes.first(where: { !awaited.contains($0) }) {
            await task.value
            awaited.insert(task)
        }
    }

    // MARK: Running a call's state machine

    /// Runs `body` on the call and carries out what it returns.
    func update(_ id: String, _ body: (inout Call, Date) -> [Call.Action]) {
        guard calls[id] != nil else { return }
        // In place (the dictionary's modify accessor): no copy of the call out and back.
        let actions = body(&calls[id]!, Date())
        if !actions.isEmpty { perform(actions, id) }
        if !links.isEmpty { checkLink(id) }
    }

    /// Runs a command on the call: its actions are carried out only when it is accepted.
    func command(_ id: String, _ body: (inout Call, Date) -> Result<[Call.Action], CallControlError>) throws(CallControlError) {
        guard var call = calls[id] else { throw .noSuchCall(id) }
        switch body(&call, Date()) {
        case .success(let actions):
            calls[id] = call
            perform(actions, id)
            if !links.isEmpty { checkLink(id) }
        case .failure(let error):
            throw error
        }
    }

    func clear(_ id: String, cause: Q931Cause, reason: String) {
        update(id) { call, now in call.clear(cause: cause, reason: reason, now: now) }
    }

    func startTimer(_ id: String, _ timer: Call.Timer, seconds: Double) {
        let handle = timers.schedule(.call(id, timer), seconds: seconds)
        if let i = callTimers[id]?.firstIndex(where: { $0.kind == timer.kind }) {
            timers.cancel(callTimers[id]![i].handle)  // stale anyway: its token is no longer armed
            callTimers[id]![i].handle = handle
        } else {
            callTimers[id, default: []].append((timer.kind, handle))
        }
    }

    private func timerFired(_ id: String, _ timer: Call.Timer) {
        guard calls[id] != nil else { return }
        if case .application(let token) = timer.kind {
            guard calls[id]!.take(timer) else { return }
            appEvent(id, .timer(token: token))
            return
        }
        if case .answer(let leg) = timer.kind, calls[id]?.leg(leg)?.isAnswered == false,
           calls[id]?.pending[leg] == .destination(for: 1), calls[id]?.answeredLocally == true,
           calls[id]!.take(timer) {
            if returnToApplication(id, failed: leg, cause: .noAnswer, farEndCleared: false) { return }
            update(id) { call, now in call.clearLeg(leg, cause: .noAnswer, now: now) }
            return
        }
        if case .answer(let leg) = timer.kind, calls[id]?.leg(leg)?.isAnswered == false,
           calls[id]?.pending[leg] == .destination(for: 1), calls[id]?.answeredLocally == false,
           calls[id]!.take(timer) {
            if divertOnFailure(id, failed: leg, cause: .noAnswer, farEndCleared: false) { return }
            update(id) { call, now in call.clearLeg(leg, cause: .noAnswer, now: now) }
            return
        }
        update(id) { call, now in call.timerFired(timer, now: now) }
    }
}

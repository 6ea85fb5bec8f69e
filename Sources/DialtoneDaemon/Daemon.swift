// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneAlarms
import DialtoneApps
import DialtoneConfig
import DialtoneLineSim
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging
import Synchronization

/// The assembled daemon: spans, D-channels, media engine, switch core, store,
/// control socket and (on loopback spans) the built-in line simulator.
/// Started in dependency order, stopped in reverse.
public final class Daemon: @unchecked Sendable {
    public let config: DialtoneConfig
    public let logger: Logger
    public let switchCore: SwitchCore
    public let media: MediaEngine
    /// Writes call recordings (policy, DTMF or API).
    public let recorder: RecordingWriter?
    public let simulator: LineSimulator?
    public let store: Store
    /// The ACD, when queues or an agent line are configured.
    public private(set) var acd: ACDApplication?
    /// Voice mail applications by name.
    public private(set) var voicemail: [String: VoicemailApplication] = [:]
    /// The fax application (jobs, received faxes, fax-on-demand orders), when the config has a `fax:` section.
    public private(set) var fax: FaxApplication?
    /// Its port to the switch's fax stage (``SwitchFaxLine``).
    public private(set) var faxLine: (any FaxLine)?
    /// Listens for fax machines among the callers in IVR menus and queues.
    private var faxWatcher: FaxToneWatcher?
    /// Writes call starts, CDRs and recording entries off the call path (journal while the database is unavailable).
    public let storeWriter: StoreWriter
    /// Alarm states (disk full, database unavailable, spans, D-channels, recordings).
    public let alarms: AlarmBoard
    public let spans: [SwitchSpan]
    private let links: [VirtualLink]
    private let capture: PcapWriter?
    private var control: ControlServer?
    /// The DAHDI driver's spans, watched while the daemon runs.
    public let kernelSpans: SpanWatcher
    private var switchTask: Task<Void, Never>?
    private var applicationTasks: [Task<Void, Never>] = []
    /// The config in force (the start-up one, or the last reloaded).
    let running: Mutex<DialtoneConfig>
    /// The drain time of a ``stop(drain:)`` in progress (nil: drain_seconds).
    private let drainOverride = Mutex<Duration?>(nil)
    /// The DAHDI timer when it clocks the media (DAHDI hosts).
    private let dahdiTimer: DAHDITimer?
    /// One daemon per config (``InstanceLock``), held until ``stop(drain:)``.
    private let instanceLock: InstanceLock

    /// Builds every component from `config` without starting anything.
    public init(config: DialtoneConfig, logger: Logger, pcapPath: String? = nil) throws {
        self.config = config
        running = Mutex(config)
        self.logger = logger
        // First, before any file is touched: a second daemon on this config stops here.
        instanceLock = try InstanceLock(path: config.daemon.lockPath)
        let pcap = pcapPath ?? config.daemon.pcap
        capture = try pcap.map { try PcapWriter(path: $0) }
        // A short busy timeout: the writer journals rather than wait on another process's lock.
        store = try Store(path: config.daemon.database, busyTimeout: 0.25)
        alarms = AlarmBoard(logger: logger)
        storeWriter = try StoreWriter(store: store, journalPath: config.daemon.database + ".journal", alarms: alarms, logger: logger,
                                      queueLogPath: config.daemon.queueLogPath)

        var drivers: [any SpanDriver] = []
        var links: [VirtualLink] = []
        var simPorts: [LineSimulator.Port] = []
        for s in config.spans {
            switch (s.driver, s.peer) {
            case (.virtual, .simulator):
                let link = try VirtualLink(a: s.name, b: "\(s.name)-far", type: s.type, law: s.law)
                links.append(link)
                drivers.append(link.a)
                simPorts.append(.init(span: link.b, role: s.role.opposite, switchType: s.switchType))
            case (.virtual, .socket(let path)):
                drivers.append(SocketSpan(server: s.name, type: s.type, law: s.law, path: path))
            case (.dahdi, let peer):
                guard let spanNo = s.dahdiSpan, let base = s.dahdiBaseChannel else {
                    throw DaemonError("span \(s.name): dahdi_span and dahdi_base_channel are required")
                }
                drivers.append(DAHDISpan(name: s.name, type: s.type, law: s.law, spanNumber: spanNo,
                                         baseChannel: base, bearerChannels: s.channels,
                                         dchannel: s.type.dchannelTimeslot))
                if case .dahdiLoop(let farSpan, let farBase) = peer {
                    let far = DAHDISpan(name: "\(s.name)-far", type: s.type, law: s.law, spanNumber: farSpan,
                                        baseChannel: farBase, bearerChannels: s.type.bearerChannels,
                                        dchannel: s.type.dchannelTimeslot)
                    simPorts.append(.init(span: far, role: s.role.opposite, switchType: s.switchType))
                }
            case (.virtual, .line), (.virtual, .dahdiLoop):
                throw DaemonError("span \(s.name): a virtual span's peer is 'simulator' or 'socket:PATH'")
            }
        }
        self.links = links
        // On a DAHDI host the media clock is the cards' own (/dev/dahdi/timer,
        // driven by the span providing timing), so frames and ticks never drift;
        // without it (no card, no timer), the process clock.
        var clock: any FrameClock = VirtualClock.shared
        var dahdiTimer: DAHDITimer?
        if config.spans.contains(where: { $0.driver == .dahdi }) {
            let timer = DAHDITimer()
            do {
                try timer.start()
                dahdiTimer = timer
                clock = timer
                logger.notice("media clock: DAHDI timer", metadata: ["path": "\(timer.path)"])
            } catch {
                logger.warning("media clock: process clock (DAHDI timer unavailable)", metadata: ["error": "\(error)"])
            }
        }
        self.dahdiTimer = dahdiTimer
        var built = false
        defer { if !built { dahdiTimer?.stop() } }  // a failed start-up leaves no timer thread behind
        // DAHDI hosts (and emulated VMs) stall longer than an in-process clock: more slack.
        let slack = config.daemon.bufferFrames ?? (config.spans.contains { $0.driver == .dahdi } ? 10 : 3)
        // Prompts are loaded once (validated again: the files may have changed since check-config).
        let usesIVR = !config.menus.isEmpty || config.routes.contains { $0.action != nil }
        var prompts: PromptLibrary?
        if usesIVR {
            do {
                prompts = try PromptLibrary(directory: config.prompts.directory, languages: config.prompts.languages)
            } catch {
                throw DaemonError("prompts: \(error)")
            }
        } else if FileManager.default.fileExists(atPath: "\(config.prompts.directory)/\(config.prompts.language)") {
            // No IVR: the prompts are still there for the hold audio and the API's `play`.
            do {
                prompts = try PromptLibrary(directory: config.prompts.directory, languages: config.prompts.languages)
            } catch {
                logger.warning("prompts not loaded: held calls hear silence", metadata: ["error": "\(error)"])
            }
        }
        if let prompts {
            logger.notice("prompts loaded", metadata: ["directory": "\(config.prompts.directory)",
                                                       "prompts": "\(prompts.count)", "languages": "\(config.prompts.languages)"])
        }
        // Always there: the API and DTMF may start a recording on any call.
        recorder = RecordingWriter(logger: logger)
        media = MediaEngine(spans: drivers, clock: clock, logger: logger, primeFrames: slack, prompts: prompts, recorder: recorder,
                            toneSets: config.spans.map { config.toneSet(for: $0) }, dtmfProfiles: config.spans.map(\.dtmf))
        let sink = storeWriter

        // The switch needs the D-channels and the D-channels report to the
        // switch: build the D-channels with a forwarding box.
        let box = SwitchBox()
        var switchSpans: [SwitchSpan] = []
        for (i, s) in config.spans.enumerated() {
            let dchannel = DChannel(span: drivers[i], role: s.role, switchType: s.switchType, logger: logger,
                                    capture: capture, debug: s.debug, overlap: s.overlap) { box.core?.signalling(span: i, $0) }
            switchSpans.append(SwitchSpan(index: i, config: s, driver: drivers[i], dchannel: dchannel))
        }
        spans = switchSpans
        // With queues, callers are looked up in the customer table as they arrive.
        let hasACD = config.applications.values.contains { $0.queue != nil || $0.kind == .agentLine }
        let acdStorage = hasACD ? StoreACDStorage(store: store, writer: storeWriter, normaliser: config.customers.normaliser,
                                                  logger: logger) : nil
        switchCore = SwitchCore(spans: switchSpans, routes: config.routes, media: media, sink: sink, logger: logger,
                                applications: IVRApplication(menus: config.menus, schedules: config.schedules),
                                promptLanguage: config.prompts.language, recording: config.recording, alarms: alarms,
                                holdPrompt: config.prompts.hold, customers: acdStorage)
        box.core = switchCore
        for app in config.applications.values.sorted(by: { $0.name < $1.name }) {
            switch app.kind {
            case .park(let settings):
                switchCore.hosted.register(ParkApplication(name: app.name, settings: settings, core: switchCore,
                                                           logger: logger))
            case .faxOnDemand:
                break  // with the fax application (below)
            case .queue, .agentLine:
                break  // the ACD: one application owns every queue and agent (registered below)
            case .voicemail:
                break  // after the ACD (group mailboxes hand their messages to it)
            }
        }
        if let storage = acdStorage {
            let acd = ACDApplication(config: config, core: switchCore, storage: storage, logger: logger)
            self.acd = acd
            switchCore.hosted.register(acd)
            for app in config.applications.values {
                if app.queue != nil { switchCore.hosted.register(QueueEntry(name: app.name, acd: acd)) }
                if app.kind == .agentLine { switchCore.hosted.register(AgentLineEntry(name: app.name, acd: acd)) }
            }
        }
        for app in config.applications.values.sorted(by: { $0.name < $1.name }) {
            guard let v = app.voicemail else { continue }
            let directory = v.directory ?? (((config.daemon.database as NSString).deletingLastPathComponent as NSString)
                .appendingPathComponent("voicemail") as NSString).appendingPathComponent(app.name)
            // Group mailboxes: each message becomes a message work item of its queue.
            var group: (@Sendable (String, VoicemailMessage) async -> Void)?
            if let acd {
                group = { queue, m in
                    await acd.messageLeft(queue: queue, id: m.callID, path: m.path, seconds: m.seconds, callerNumber: m.caller,
                                          arrival: m.received)
                }
            }
            let vm = VoicemailApplication(name: app.name, config: v, directory: directory, core: switchCore,
                                          storage: StoreVoicemailStorage(store: store, writer: storeWriter, logger: logger),
                                          logger: logger, groupDelivery: group)
            voicemail[app.name] = vm
            switchCore.hosted.register(vm)
        }
        if let faxConfig = config.fax {
            let storage = StoreFaxStorage(store: store, writer: storeWriter, normaliser: config.customers.normaliser, logger: logger)
            let line = SwitchFaxLine(core: switchCore, logger: logger)
            let fax = FaxApplication(config: faxConfig, line: line, storage: storage, logger: logger, events: switchCore.events)
            self.fax = fax
            faxLine = line
            let receiver = FaxReceiveApplication(core: switchCore, fax: fax, line: line, logger: logger)
            switchCore.hosted.register(receiver)
            // Fax machines calling voice numbers: CNG heard in an IVR menu or a queue.
            let queues = Set(config.applications.values.filter { $0.queue != nil }.map(\.name))
            if let acd {
                // Fax mail: faxes received for a queue are its agents' work.
                Task {
                    await fax.setQueueDelivery { queue, f in
                        await acd.faxReceived(queue: queue, id: f.id, fax: f.id, pages: f.pages, callerNumber: f.calling, arrival: f.time)
                    }
                    await acd.setFaxAssignment { id, agent in await fax.assign(fax: id, to: agent) }
                }
            }
            faxWatcher = FaxToneWatcher(core: switchCore, receiver: receiver, acd: acd, queues: queues, logger: logger)
            for app in config.applications.values.sorted(by: { $0.name < $1.name }) {
                guard case .faxOnDemand(let settings) = app.kind else { continue }
                switchCore.hosted.register(FaxOnDemandApplication(name: app.name, settings: settings, config: faxConfig,
                                                                  core: switchCore, fax: fax, line: line, logger: logger))
            }
        }
        for s in switchSpans {
            let core = switchCore, dchannel = s.dchannel, index = s.index, log = logger
            s.driver.setEventHandler { event in
                switch event {
                case .alarmsChanged(let alarms):
                    dchannel.spanAlarmsChanged(alarms)
                    core.spanAlarms(span: index, alarms)
                case .malformedFrames(let count, let last):
                    log.warning("malformed messages from the far end dropped", metadata: [
                        "span": "\(s.config.name)", "count": "\(count)", "last": "\(last)"])
                case .dchannelAbort, .dchannelBadFCS:
                    log.debug("D-channel line event", metadata: ["span": "\(s.config.name)", "event": "\(event)"])
                case .started, .stopped:
                    break
                }
            }
        }
        kernelSpans = SpanWatcher(logger: logger)
        simulator = simPorts.isEmpty ? nil : LineSimulator(ports: simPorts, clock: clock, logger: logger, primeFrames: slack)
        built = true
    }

    /// The daemon's parts in dependency order: started first to last,
    /// stopped last to first (``start()``/``stop(drain:)`` here and in tests;
    /// ``services()`` for `dialtone serve`'s ServiceGroup).
    public var components: [DaemonComponent] {
        [
            // What a crash left behind: the journal replayed, interrupted calls
            // closed with a CDR. Stopped last: returns once every record is durable.
            DaemonComponent("store writer", start: { [unowned self] in storeWriter.start() },
                            stop: { [unowned self] in storeWriter.stop() }),
            DaemonComponent("recordings", start: { [unowned self] in startRecordings() },
                            stop: { [unowned self] in recorder?.stop() }),
            DaemonComponent("spans", start: { [unowned self] in
                for s in spans {
                    try s.driver.start()
                    logger.notice("span opened", metadata: ["span": "\(s.config.name)", "identity": "\(s.driver.identity)",
                                                            "alarms": "\(s.driver.alarms)"])
                }
            }, stop: { [unowned self] in
                for s in spans { s.driver.stop() }
                for l in links { l.close() }
                capture?.close()
                dahdiTimer?.stop()
            }),
            DaemonComponent("media engine", start: { [unowned self] in media.start() }, stop: { [unowned self] in media.stop() }),
            DaemonComponent("switch", start: { [unowned self] in
                let core = switchCore
                switchTask = Task { await core.run() }
            }, stop: { [unowned self] in
                await switchCore.finish()
                await switchTask?.value
            }),
            // Long-lived applications (parking lots; queues and fax schedulers to come) follow the event stream.
            DaemonComponent("applications", start: { [unowned self] in
                applicationTasks = switchCore.hosted.all.map { app in Task { await app.run() } }
                // Fax jobs the store holds are dialled again (after the journal's replay).
                if let fax { applicationTasks.append(Task { await fax.start() }) }
                if let faxWatcher { applicationTasks.append(Task { await faxWatcher.run() }) }
            }, stop: { [unowned self] in
                for t in applicationTasks { t.cancel() }
                for t in applicationTasks { await t.value }
                applicationTasks = []
            }),
            DaemonComponent("D-channels", start: { [unowned self] in for s in spans { s.dchannel.start() } },
                            stop: { [unowned self] in for s in spans { s.dchannel.stop() } }),
            DaemonComponent("line simulator", start: { [unowned self] in try simulator?.start() },
                            stop: { [unowned self] in simulator?.stop() }),
            DaemonComponent("control socket", start: { [unowned self] in
                control = try ControlServer(path: config.daemon.controlSocket, mode: config.daemon.controlSocketMode,
                                            group: config.daemon.controlSocketGroup, logger: logger) { [weak self] request in
                    guard let self else { return .reply(ControlReply.error("shutting down")) }
                    return await ControlServer.answer(request, daemon: self)
                }
            }, stop: { [unowned self] in control?.close() }),
            // Stopped first on SIGTERM: no new calls, the calls up drain (drain_seconds),
            // the rest are cleared, and their recordings closed and indexed.
            DaemonComponent("call handling", start: { [unowned self] in
                for s in kernelSpans.spans {
                    logger.notice("DAHDI span present: \(s.identity), \(s.type) \(s.lineConfig), channels \(s.channelRange.lowerBound)-\(s.channelRange.upperBound), alarms \(s.alarms)")
                }
                kernelSpans.start()
                logger.notice("dialtone started", metadata: ["spans": "\(spans.map { $0.config.name })",
                                                             "config": "\(config.sourcePath ?? "-")"])
            }, stop: { [unowned self] in
                kernelSpans.stop()
                await drainCalls(drainOverride.withLock { $0 } ?? .seconds(clamping: config.daemon.drainSeconds))
            }),
        ]
    }

    /// After the last component stopped (serve): the per-config lock is let go.
    public func finished() {
        instanceLock.release()
        logger.notice("dialtone stopped")
    }

    /// Starts every component in dependency order.
    public func start() throws {
        for c in components { try c.start() }
    }

    /// Drains calls (up to `drain`, default `drain_seconds`), then stops every component in reverse order.
    public func stop(drain: Duration? = nil) async {
        drainOverride.withLock { $0 = drain }
        for c in components.reversed() { await c.stop() }
        finished()
    }

    /// Recordings a crash left behind get valid headers and are indexed; the writer starts.
    private func startRecordings() {
        if recorder != nil, FileManager.default.fileExists(atPath: config.recording.directory) {
            let repaired = RecordingWriter.repairDirectory(config.recording.directory, logger: logger)
            if !repaired.isEmpty { logger.notice("recordings repaired", metadata: ["count": "\(repaired.count)"]) }
            RecordingRecovery(directory: config.recording.directory, store: store, sink: storeWriter, logger: logger).run()
        }
        recorder?.start()
        if recorder != nil, let device = config.recording.alsaDevice,
           let problem = AlsaStream.probe(device: device, configText: config.recording.alsaConfig,
                                          channels: config.recording.layout.channels) {
            // Not fatal: the device may come later (USB); recordings go to files meanwhile.
            logger.error("recording.alsa_device cannot be opened; recordings go to files only until it can",
                         metadata: ["device": "\(device)", "error": "\(problem)"])
        }
    }

    /// No new calls; waits up to `timeout` for calls to end, clears the rest,
    /// and waits until their recordings are closed and handed to the store.
    private func drainCalls(_ timeout: Duration) async {
        await switchCore.drain(timeout: timeout)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        while await !switchCore.recordingsSettled && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        await switchCore.settle()
    }

    /// Waits until every span's D-channel (and the simulator's) is up.
    public func waitForLinks(timeout: Duration = .seconds(20)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if spans.allSatisfy({ $0.dchannel.isLinkUp }) {
                if let simulator { return await simulator.waitForLinks(timeout: timeout) }
                return true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// The virtual link behind a span (loopback mode), for fault scenarios.
    public func link(of span: String) -> VirtualLink? { links.first { $0.a.name == span } }
}

final class SwitchBox: @unchecked Sendable {
    var core: SwitchCore?
}

public struct DaemonError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

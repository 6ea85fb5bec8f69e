// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// The real-time media thread. Every B-channel has a ``ChannelPipeline`` of
/// stages — DTMF detector, recording tap, (fax), route to a bridge peer or a
/// conference mixer; a tone or prompt player on the transmit side — built and
/// torn down by ``Command``s from the switch. Every 20 ms tick of its clock
/// the engine applies the queued commands, runs the pipeline of every channel
/// in use, mixes the conferences and hands the recording taps their tick.
/// The tick allocates nothing, takes no lock and never awaits.
///
/// The cost follows the calls: a channel is taken into use (``SpanDriver/setInUse(channel:_:)``)
/// by the command that gives it work and let go a few ticks after its work
/// ends (its transmit slack played out); only channels in use are looked at.
/// With no channel in use the thread pauses its clock waiter and sleeps until
/// a command arrives. Events wake their consumer (``deliverEvents(to:)``)
/// through a ``Doorbell``: a system call only when the consumer sleeps.
public final class MediaEngine: @unchecked Sendable {
    public struct Endpoint: Sendable, Equatable, Hashable {
        public var span: Int      // index into the engine's span table
        public var channel: Int   // Q.931 channel number
        public init(span: Int, channel: Int) {
            self.span = span
            self.channel = channel
        }
    }

    /// What the engine reports (read with ``nextEvent()``).
    public enum Event: Sendable, Equatable {
        /// A DTMF tone detected in band on a channel (ITU-T Q.24), reported
        /// when it ends: its key, its duration and how long before the end of
        /// the frame just received it began (``DTMFTone/ageMs``).
        case digit(Endpoint, DTMFTone)
        /// A prompt played to its end (not sent when it was stopped or replaced).
        case promptFinished(Endpoint, token: Int)
        /// The engine no longer writes to this recording slot: the writer may close it.
        case recordingStopped(slot: Int)
        /// T.30 phase B: the fax terminals agreed on an image rate and ECM.
        case faxNegotiated(Endpoint, rate: Int, ecm: Bool)
        /// A fax page was transferred (`pages`: so far).
        case faxPage(Endpoint, pages: Int)
        /// The fax session ended (phase E, or stopped by `stopFax`): it is
        /// handed back, to be closed off the media thread (``FaxSession/close()``).
        case faxFinished(Endpoint, FaxSession)
        /// A fax tone was heard (``Command/detectFaxTones(_:_:)`` on).
        case faxTone(Endpoint, FaxTone)
        /// A channel with silence detection on has been quiet for its limit (once, until sound returns).
        case silence(Endpoint)
    }

    public enum Command: Sendable {
        /// Plays a call progress tone on a channel until stopped or bridged.
        case playTone(Endpoint, Tone)
        case stopTone(Endpoint)
        /// Plays a prompt of the engine's ``PromptLibrary`` once on a channel
        /// (replacing any tone or prompt); `token` comes back in `.promptFinished`.
        /// A looped prompt (hold audio) starts again at its end and never finishes.
        case playPrompt(Endpoint, prompt: Int, token: Int, loop: Bool = false)
        case stopPrompt(Endpoint)
        /// Plays a clip (a recorded message) once on a channel, as a prompt:
        /// `.promptFinished` with `token` at its end; `stopPrompt` stops it.
        case playClip(Endpoint, AudioClip, token: Int)
        /// From now on prompt ids refer to this library (a config reload);
        /// prompts already playing finish from the old one.
        case usePrompts(PromptLibrary)
        /// Taps what `first` and `second` send (each tick, both parties) into a
        /// slot of the engine's ``RecordingWriter`` (opened by the caller first).
        /// The tap sees a channel's frames whatever its route (bridge, conference).
        case record(slot: Int, first: Endpoint, second: Endpoint?)
        /// Ends a tap; `.recordingStopped` follows.
        case stopRecording(slot: Int)
        /// Adds a channel to an N-party conference (each member hears the sum
        /// of the others, not itself). Refused for a channel that is bridged
        /// or already in a conference.
        case joinConference(Int, Endpoint)
        case leaveConference(Int, Endpoint)
        /// Turns in-band DTMF detection on or off for a channel.
        case detectDigits(Endpoint, Bool)
        /// Reports `.silence` after this many quiet samples in a row (0: off).
        case detectSilence(Endpoint, samples: Int)
        /// Connects two channels both ways; the engine's `primeFrames` of idle
        /// are queued first on each side as jitter slack (like DAHDI's write
        /// buffers). Refused when the id is in use or either channel is
        /// bridged or in a conference (unbridge or leave first).
        case bridge(id: Int, Endpoint, Endpoint)
        /// Runs a fax session on a channel that is not routed (its modem
        /// replaces any prompt or tone; play commands are refused meanwhile).
        /// Refused when the channel is routed or already has a session.
        case startFax(Endpoint, FaxSession)
        /// Ends a channel's fax session early: `.faxFinished` hands it back.
        case stopFax(Endpoint)
        /// Turns fax tone detection (CNG, CED) on or off for a channel.
        case detectFaxTones(Endpoint, Bool)
        case unbridge(id: Int)
    }

    public static let maxBridges = 1024
    public static let maxConferences = ConferenceMixer.maxConferences
    public static let maxConferenceMembers = ConferenceMixer.maxMembers
    /// Ticks run on one late wake-up at most (the rest are counted late and lost).
    public static let maxCatchUpTicks: UInt64 = 5
    /// Commands the queue holds before ``send(_:)`` waits for the media thread.
    public static let commandQueueCapacity = 4096
    /// Idle frames queued on each side when a bridge starts (jitter slack).
    public let primeFrames: Int
    /// Each span's call progress tones.
    public let toneSets: [ToneSet]
    /// Where recording taps go.
    public let recorder: RecordingWriter?

    /// Channel slots per span (E1 has 31 timeslots; slot = span × 32 + channel).
    static let slotsPerSpan = 32
    let spans: [any SpanDriver]
    private let clock: any FrameClock
    let logger: Logger
    let commands: CommandQueue<Command>
    private let events = SPSCQueue<Event>(capacity: 1024)
    private let eventBell = Doorbell()
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    // Media thread state (allocated here; the tick only reads and writes it).
    let pipelines: UnsafeMutablePointer<ChannelPipeline>
    /// The clip each channel last played, kept alive while it plays (media thread only).
    var clips: [AudioClip?]
    let slotCount: Int
    let bridges = BridgeTable(capacity: MediaEngine.maxBridges)
    let mixer = ConferenceMixer()
    let taps: RecordingTaps
    /// [span × 4 + tone]: each span's tones, prepared once.
    let toneDescriptors: [ToneDescriptor?]
    let tables = G711Tables.shared
    let frame: UnsafeMutableRawBufferPointer
    let linear: UnsafeMutablePointer<Int16>
    let tones: UnsafeMutablePointer<DTMFTone>
    /// Each span's DTMF receiver limits (Q.24: AT&T or ETSI, minimum level, dial-tone filter).
    public let dtmfProfiles: [DTMFProfile]
    let lingerTicks: UInt8
    var slotsInUse = 0
    /// The media thread's prompt library.
    var playing: PromptLibrary?

    // Statistics (relaxed atomics, read by the control plane).
    let tickCount = Atomic<UInt64>(0)
    let lateTicks = Atomic<UInt64>(0)
    let framesMoved = Atomic<UInt64>(0)
    let activeBridges = Atomic<Int>(0)
    let slotsInUseGauge = Atomic<Int>(0)
    let appliedCommands = Atomic<UInt64>(0)
    let refusedCommands = Atomic<UInt64>(0)

    /// The prompts the engine plays (a reload replaces the library; see ``replacePrompts(_:)``).
    public var prompts: PromptLibrary? { currentPrompts.withLock { $0 } }
    private let currentPrompts: Mutex<PromptLibrary?>
    /// Every library ever played, kept alive: a prompt playing when a reload
    /// swaps the library reads the old one's buffers, and the tick never frees memory.
    private let retainedPrompts = Mutex<[PromptLibrary]>([])

    /// `toneSets` and `dtmfProfiles` are per span, in the order of `spans`
    /// (missing ones: the law's default tone set, ``DTMFProfile/att``).
    public init(spans: [any SpanDriver], clock: any FrameClock, logger: Logger, primeFrames: Int = 3,
                prompts: PromptLibrary? = nil, recorder: RecordingWriter? = nil, toneSets: [ToneSet]? = nil,
                dtmfProfiles: [DTMFProfile]? = nil) {
        self.primeFrames = primeFrames
        lingerTicks = UInt8(clamping: primeFrames + 2)
        currentPrompts = Mutex(prompts)
        playing = prompts
        if let prompts { retainedPrompts.withLock { $0.append(prompts) } }
        self.recorder = recorder
        self.spans = spans
        self.clock = clock
        self.logger = logger
        commands = CommandQueue(capacity: MediaEngine.commandQueueCapacity, logger: logger)
        taps = RecordingTaps(slots: recorder?.slotCount ?? 0)
        frame = .allocate(byteCount: frameBytes, alignment: 16)
        linear = .allocate(capacity: frameBytes)
        tones = .allocate(capacity: DTMFDetector.maxDigitsPerFrame)
        let profiles = spans.indices.map { i in dtmfProfiles.flatMap { i < $0.count ? $0[i] : nil } ?? .att }
        self.dtmfProfiles = profiles
        slotCount = max(spans.count, 1) * MediaEngine.slotsPerSpan
        pipelines = .allocate(capacity: slotCount)
        clips = [AudioClip?](repeating: nil, count: slotCount)
        for i in 0..<slotCount {
            let law = spans.isEmpty ? G711Law.alaw : spans[i / MediaEngine.slotsPerSpan].law
            let endpoint = Endpoint(span: i / MediaEngine.slotsPerSpan, channel: i % MediaEngine.slotsPerSpan)
            let profile = endpoint.span < profiles.count ? profiles[endpoint.span] : .att
            (pipelines + i).initialize(to: ChannelPipeline(endpoint: endpoint, law: law, dtmf: profile))
        }
        let sets = spans.enumerated().map { i, span in
            toneSets.flatMap { i < $0.count ? $0[i] : nil } ?? ToneSet.default(for: span.law)
        }
        self.toneSets = sets
        toneDescriptors = sets.flatMap { set in Tone.allCases.map { set.specs[$0].map(ToneDescriptor.init) } }
    }

    deinit {
        for i in 0..<slotCount { pipelines[i].faxTones.deallocate() }
        pipelines.deinitialize(count: slotCount)
        pipelines.deallocate()
        bridges.deallocate()
        mixer.deallocate()
        taps.deallocate()
        frame.deallocate()
        linear.deallocate()
        tones.deallocate()
    }

    // MARK: Events

    /// The next event from the media thread (one consumer), nil when none.
    public func nextEvent() -> Event? { events.pop() }

    /// A thread that hands every event to `handler` in order, asleep while
    /// there is none: the media thread rings it only when it pushed one. It is
    /// the events' one consumer (use it instead of ``nextEvent()``).
    public func deliverEvents(to handler: @escaping @Sendable (Event) -> Void) -> EventDelivery {
        let delivery = EventDelivery(bell: eventBell)
        let thread = Thread { [self, events, eventBell, logger] in
            var reported: UInt64 = 0
            while delivery.running {
                while let event = events.pop() { handler(event) }
                let lost = eventsLost
                if lost != reported {
                    logger.error("media events lost: the event queue was full", metadata: ["lost": "\(lost - reported)", "total": "\(lost)"])
                    reported = lost
                }
                eventBell.sleep { !events.isEmpty || !delivery.running }
            }
            while let event = events.pop() { handler(event) }
            delivery.exited.signal()
        }
        thread.name = "dialtone.media-events"
        thread.start()
        return delivery
    }

    /// The running consumer of ``deliverEvents(to:)``.
    public final class EventDelivery: Sendable {
        private let flag = Atomic<Bool>(true)
        private let bell: Doorbell
        fileprivate let exited = DispatchSemaphore(value: 0)
        fileprivate init(bell: Doorbell) { self.bell = bell }
        fileprivate var running: Bool { flag.load(ordering: .acquiring) }
        /// Ends the thread (after the events already pushed) and waits for it.
        public func stop() {
            guard flag.exchange(false, ordering: .acquiringAndReleasing) else { return }
            bell.ring()
            exited.wait()
        }
    }

    // MARK: Statistics

    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    /// Ticks where the thread woke more than one period late.
    public var missedTicks: UInt64 { lateTicks.load(ordering: .relaxed) }
    /// Frames sent on from one bridged channel to the other.
    public var frames: UInt64 { framesMoved.load(ordering: .relaxed) }
    public var bridgeCount: Int { activeBridges.load(ordering: .relaxed) }
    /// Channels in use (having work, or their transmit slack playing out).
    public var channelsInUse: Int { slotsInUseGauge.load(ordering: .relaxed) }
    /// Commands the media thread has applied (refused ones included).
    public var commandsApplied: UInt64 { appliedCommands.load(ordering: .relaxed) }
    /// Commands the media thread refused (bridging a channel that is already
    /// routed, an id out of range, a play on a routed channel, …).
    public var commandsRefused: UInt64 { refusedCommands.load(ordering: .relaxed) }
    /// Times ``send(_:)`` found the command queue full and waited for the media thread.
    public var commandQueueFullCount: UInt64 { commands.fullEvents }
    let lostEvents = Atomic<UInt64>(0)

    // MARK: Commands

    /// Prompt ids from now on refer to `library`: call it from the one
    /// place that sends play commands (the switch), so that every play sent
    /// after it is played from the new library and none sent before it is.
    public func replacePrompts(_ library: PromptLibrary) {
        retainedPrompts.withLock { $0.append(library) }
        currentPrompts.withLock { $0 = library }
        send(.usePrompts(library))
    }

    /// Queues a command (one producer: the switch core) and wakes the media
    /// thread. A full queue never drops a command: the caller waits for the
    /// media thread to drain it (counted in ``commandQueueFullCount``, a
    /// warning logged once per episode). False only when the engine is not
    /// running and the queue stays full (an error is logged).
    @discardableResult
    public func send(_ command: Command) -> Bool {
        commands.push(command) { running.load(ordering: .acquiring) }
    }

    // MARK: The thread

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "dialtone.media"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        commands.bell.ring()
        finished.wait()
    }

    private func run() {
        let waiter = clock.subscribe()
        defer {
            clock.unsubscribe(waiter)
            finished.signal()
        }
        while running.load(ordering: .relaxed) {
            let elapsed = waiter.wait(timeoutMs: 100)
            if elapsed == 0 { continue }
            if elapsed > 1 { lateTicks.add(elapsed - 1, ordering: .relaxed) }
            // A late wake-up runs the ticks it missed (up to 100 ms of them):
            // prompts, tones and recordings stay continuous instead of
            // losing the transmit slack one frame at a time.
            // As many as the transmit slack holds (10 on DAHDI): a stall shorter
            // than the slack leaves prompts and tones whole.
            for _ in 0..<min(elapsed, max(MediaEngine.maxCatchUpTicks, UInt64(primeFrames))) { tick() }
            if slotsInUse == 0 {
                // Nothing to clock: the clock may stop, and this thread sleeps
                // until a command comes. Resuming drops the ticks missed, so
                // the idle time is not caught up (maxCatchUpTicks is for late
                // wake-ups while busy).
                clock.pause(waiter)
                commands.bell.sleep { !commands.isEmpty || !running.load(ordering: .relaxed) }
                clock.resume(waiter)
            }
        }
    }

    /// Pushes an event and wakes its consumer if it sleeps (media thread).
    @inline(__always) func push(_ event: Event) {
        // A full queue (the consumer stalled for 1024 events) loses the event:
        // counted here, logged by the consumer thread (no logging in a tick).
        if !events.push(event) { lostEvents.add(1, ordering: .relaxed) }
        eventBell.ring()
    }

    /// Events the media thread could not queue (the consumer fell 1024 behind).
    public var eventsLost: UInt64 { lostEvents.load(ordering: .relaxed) }

    @inline(__always) func slot(_ e: Endpoint) -> Int { e.span * MediaEngine.slotsPerSpan + e.channel }
}

extension MediaEngine: MediaEventSink {
    @inline(__always) func emit(_ event: Event) { push(event) }
}

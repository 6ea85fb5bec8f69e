// SPDX-License-Identifier: GPL-2.0-or-later
import CSpanDSP
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// The real-time media thread: every 20 ms tick of its clock it moves the
/// frames of every bridge between two B-channels (and, on spans of
/// different laws, translates them). Commands arrive on an SPSC queue and
/// are applied at the start of a tick; the tick itself allocates nothing,
/// takes no lock and never awaits.
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
        /// A DTMF digit detected in band on a channel (SpanDSP, ITU-T Q.24).
        case digit(Endpoint, UInt8)
        /// A prompt played to its end (not sent when it was stopped or replaced).
        case promptFinished(Endpoint, token: Int)
        /// The engine no longer writes to this recording slot: the writer may close it.
        case recordingStopped(slot: Int)
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
        /// From now on prompt ids refer to this library (a config reload);
        /// prompts already playing finish from the old one.
        case usePrompts(PromptLibrary)
        /// Taps what `first` and `second` send (each tick, both parties) into a
        /// slot of the engine's ``RecordingWriter`` (opened by the caller first).
        case record(slot: Int, first: Endpoint, second: Endpoint?)
        /// Ends a tap; `.recordingStopped` follows.
        case stopRecording(slot: Int)
        /// Adds a channel to an N-party conference (each member hears the sum
        /// of the others, not itself). A channel in a conference is not bridged.
        case joinConference(Int, Endpoint)
        case leaveConference(Int, Endpoint)
        /// Turns in-band DTMF detection on or off for a channel.
        case detectDigits(Endpoint, Bool)
        /// Connects two channels both ways; the engine's `primeFrames` of idle
        /// are queued first on each side as jitter slack (like DAHDI's write buffers).
        case bridge(id: Int, Endpoint, Endpoint)
        case unbridge(id: Int)
    }

    public static let maxBridges = 1024
    /// Ticks run on one late wake-up at most (the rest are counted late and lost).
    public static let maxCatchUpTicks: UInt64 = 5
    /// Idle frames queued on each side when a bridge starts (jitter slack).
    public let primeFrames: Int

    private struct Bridge {
        var active = false
        var a = Endpoint(span: 0, channel: 0)
        var b = Endpoint(span: 0, channel: 0)
        var aToB: UnsafePointer<UInt8>? = nil  // law translation, nil = copy
        var bToA: UnsafePointer<UInt8>? = nil
    }

    /// Channel slots per span (E1 has 31 timeslots; slot = span × 32 + channel).
    static let slotsPerSpan = 32
    private let dsp: UnsafeMutablePointer<ChannelDSP>
    private let bridged: UnsafeMutablePointer<UInt8>
    private let dtmfContexts: UnsafeMutablePointer<DTMFContext>
    private let toneDescriptors: UnsafeMutablePointer<OpaquePointer?>  // [span × 4 + tone]
    private let g711 = G711Tables.shared
    private let linear: UnsafeMutablePointer<Int16>
    private let events = SPSCQueue<Event>(capacity: 1024)
    private let eventBell = Doorbell()
    private let commandBell = Doorbell()
    /// Per slot: ticks an idle slot stays in use (transmit slack playing out); 0 = not in use.
    private let inUse: UnsafeMutablePointer<UInt8>
    private let lingerTicks: UInt8
    private var slotsInUse = 0  // media thread
    private let slotsInUseGauge = Atomic<Int>(0)
    /// Each span's call progress tones.
    public let toneSets: [ToneSet]

    struct DTMFContext {
        var engine: UnsafeMutableRawPointer
        var endpoint: Endpoint
    }

    private let spans: [any SpanDriver]
    private let clock: any FrameClock
    private let commands = SPSCQueue<Command>(capacity: 4096)
    private let bridges: UnsafeMutablePointer<Bridge>
    private let frame: UnsafeMutableRawBufferPointer
    private let tables: UnsafeMutablePointer<UInt8>  // [0..<256] µ→A, [256..<512] A→µ
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let logger: Logger

    // Statistics (relaxed atomics, read by the control plane).
    private let tickCount = Atomic<UInt64>(0)
    private let lateTicks = Atomic<UInt64>(0)
    private let framesMoved = Atomic<UInt64>(0)
    private let activeBridges = Atomic<Int>(0)

    /// The prompts the engine plays (a reload replaces the library; see ``replacePrompts(_:)``).
    public var prompts: PromptLibrary? { currentPrompts.withLock { $0 } }
    private let currentPrompts: Mutex<PromptLibrary?>
    /// Every library ever played, kept alive: a prompt playing when a reload
    /// swaps the library reads the old one's buffers, and the tick never frees memory.
    private let retainedPrompts = Mutex<[PromptLibrary]>([])
    /// The media thread's library.
    private var playing: PromptLibrary?
    /// Where recording taps go.
    public let recorder: RecordingWriter?
    private struct Tap {
        var active = false
        var first = Endpoint(span: 0, channel: 0)
        var second: Endpoint? = nil
        /// Frames queued per party (first, second), up to `tapDepth` each.
        var queued: (Int, Int) = (0, 0)
        /// The frames queued for party `side` (0: first, 1: second).
        subscript(queued side: Int) -> Int {
            get { side == 0 ? queued.0 : queued.1 }
            set { if side == 0 { queued.0 = newValue } else { queued.1 = newValue } }
        }
    }
    /// Frames a recording tap holds per party while the other party's frame
    /// is late: the two parties stay aligned when one side's frames arrive
    /// in bursts (a late far end catching up), and nothing is overwritten.
    static let tapDepth = 4
    private let taps: UnsafeMutablePointer<Tap>
    private let tapFrames: UnsafeMutableRawBufferPointer  // [slot × 2 parties × tapDepth frames]
    private let tapPair: UnsafeMutableRawBufferPointer    // one tick for the writer
    private let tapCount: Int

    public static let maxConferences = 64
    public static let maxConferenceMembers = 32
    private let confMembers: UnsafeMutablePointer<Endpoint>   // [conf × maxMembers + k]
    private let confSizes: UnsafeMutablePointer<Int>
    private let confLinear: UnsafeMutablePointer<Int16>       // [(conf × maxMembers + k) × frameBytes]
    private let confSum: UnsafeMutablePointer<Int32>

    public init(spans: [any SpanDriver], clock: any FrameClock, logger: Logger, primeFrames: Int = 3,
                prompts: PromptLibrary? = nil, recorder: RecordingWriter? = nil, toneSets: [ToneSet]? = nil) {
        self.primeFrames = primeFrames
        lingerTicks = UInt8(clamping: primeFrames + 2)
        currentPrompts = Mutex(prompts)
        playing = prompts
        if let prompts { retainedPrompts.withLock { $0.append(prompts) } }
        self.recorder = recorder
        tapCount = recorder?.slotCount ?? 0
        taps = .allocate(capacity: max(1, tapCount))
        taps.initialize(repeating: Tap(), count: max(1, tapCount))
        tapFrames = .allocate(byteCount: max(1, tapCount) * 2 * MediaEngine.tapDepth * frameBytes, alignment: 16)
        tapPair = .allocate(byteCount: 2 * frameBytes, alignment: 16)
        confMembers = .allocate(capacity: MediaEngine.maxConferences * MediaEngine.maxConferenceMembers)
        confMembers.initialize(repeating: Endpoint(span: 0, channel: 0), count: MediaEngine.maxConferences * MediaEngine.maxConferenceMembers)
        confSizes = .allocate(capacity: MediaEngine.maxConferences)
        confSizes.initialize(repeating: 0, count: MediaEngine.maxConferences)
        confLinear = .allocate(capacity: MediaEngine.maxConferences * MediaEngine.maxConferenceMembers * frameBytes)
        confSum = .allocate(capacity: frameBytes)
        self.spans = spans
        self.clock = clock
        self.logger = logger
        bridges = .allocate(capacity: MediaEngine.maxBridges)
        bridges.initialize(repeating: Bridge(), count: MediaEngine.maxBridges)
        frame = .allocate(byteCount: frameBytes, alignment: 16)
        tables = .allocate(capacity: 512)
        for i in 0..<256 {
            tables[i] = G711.ulawToAlaw[i]
            tables[256 + i] = G711.alawToUlaw[i]
        }
        let slots = max(spans.count, 1) * MediaEngine.slotsPerSpan
        dsp = .allocate(capacity: slots)
        bridged = .allocate(capacity: slots)
        bridged.initialize(repeating: 0, count: slots)
        inUse = .allocate(capacity: slots)
        inUse.initialize(repeating: 0, count: slots)
        dtmfContexts = .allocate(capacity: slots)
        for i in 0..<slots {
            let law = spans.isEmpty ? G711Law.alaw : spans[i / MediaEngine.slotsPerSpan].law
            (dsp + i).initialize(to: ChannelDSP(law: law))
        }
        linear = .allocate(capacity: frameBytes)
        let sets = spans.enumerated().map { i, span in
            toneSets.flatMap { i < $0.count ? $0[i] : nil } ?? ToneSet.default(for: span.law)
        }
        self.toneSets = sets
        toneDescriptors = .allocate(capacity: max(1, sets.count) * 4)
        toneDescriptors.initialize(repeating: nil, count: max(1, sets.count) * 4)
        for (l, set) in sets.enumerated() {
            for tone in Tone.allCases {
                guard let spec = set.specs[tone] else { continue }
                let f1 = Int32(spec.f1), f2 = Int32(spec.f2), level = Int32(spec.level)
                let d1 = Int32(spec.cadence.0), d2 = Int32(spec.cadence.1), d3 = Int32(spec.cadence.2), d4 = Int32(spec.cadence.3)
                let repeats: Int32 = spec.cadence.0 == 0 ? 0 : 1
                toneDescriptors[l * 4 + tone.rawValue] = tone_gen_descriptor_init(nil, f1, level, f2, level, d1, d2, d3, d4, repeats)
            }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        for i in 0..<slots {
            (dtmfContexts + i).initialize(to: DTMFContext(engine: me, endpoint: Endpoint(span: i / MediaEngine.slotsPerSpan,
                                                                                       channel: i % MediaEngine.slotsPerSpan)))
        }
    }

    deinit {
        confMembers.deallocate()
        confSizes.deallocate()
        confLinear.deallocate()
        confSum.deallocate()
        taps.deinitialize(count: max(1, tapCount))
        taps.deallocate()
        tapFrames.deallocate()
        tapPair.deallocate()
        bridges.deinitialize(count: MediaEngine.maxBridges)
        bridges.deallocate()
        frame.deallocate()
        tables.deallocate()
        let slots = max(spans.count, 1) * MediaEngine.slotsPerSpan
        for i in 0..<slots { dsp[i].deallocate() }
        dsp.deallocate()
        bridged.deallocate()
        inUse.deallocate()
        dtmfContexts.deallocate()
        for i in 0..<(max(1, toneSets.count) * 4) { if let d = toneDescriptors[i] { tone_gen_descriptor_free(d) } }
        toneDescriptors.deallocate()
        linear.deallocate()
    }

    /// The next event from the media thread (one consumer), nil when none.
    public func nextEvent() -> Event? { events.pop() }

    /// Pushes an event and wakes its consumer if it sleeps (media thread).
    @inline(__always) private func emit(_ event: Event) {
        _ = events.push(event)
        eventBell.ring()
    }

    /// A thread that hands every event to `handler` in order, asleep while
    /// there is none: the media thread rings it only when it pushed one. It is
    /// the events' one consumer (use it instead of ``nextEvent()``).
    public func deliverEvents(to handler: @escaping @Sendable (Event) -> Void) -> EventDelivery {
        let delivery = EventDelivery(bell: eventBell)
        let thread = Thread { [self, events, eventBell] in
            while delivery.running {
                while let event = events.pop() { handler(event) }
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

    @inline(__always) private func slot(_ e: Endpoint) -> Int { e.span * MediaEngine.slotsPerSpan + e.channel }

    public var ticks: UInt64 { tickCount.load(ordering: .relaxed) }
    /// Ticks where the thread woke more than one period late.
    public var missedTicks: UInt64 { lateTicks.load(ordering: .relaxed) }
    public var frames: UInt64 { framesMoved.load(ordering: .relaxed) }
    public var bridgeCount: Int { activeBridges.load(ordering: .relaxed) }
    /// Channels in use (having work, or their transmit slack playing out).
    public var channelsInUse: Int { slotsInUseGauge.load(ordering: .relaxed) }

    /// Queues a command (one producer: the switch core). False when the queue is full.
    @discardableResult
    /// Prompt ids from now on refer to `library`: call it from the one
    /// place that sends play commands (the switch), so that every play sent
    /// after it is played from the new library and none sent before it is.
    public func replacePrompts(_ library: PromptLibrary) {
        retainedPrompts.withLock { $0.append(library) }
        currentPrompts.withLock { $0 = library }
        send(.usePrompts(library))
    }

    public func send(_ command: Command) -> Bool {
        let ok = commands.push(command)
        commandBell.ring()
        return ok
    }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "dialtone.media"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        commandBell.ring()
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
            for _ in 0..<min(elapsed, MediaEngine.maxCatchUpTicks) { tick() }
            if slotsInUse == 0 {
                // Nothing to clock: the clock may stop, and this thread sleeps
                // until a command comes. Resuming drops the ticks missed, so
                // the idle time is not caught up (maxCatchUpTicks is for late
                // wake-ups while busy).
                clock.pause(waiter)
                commandBell.sleep { !commands.isEmpty || !running.load(ordering: .relaxed) }
                clock.resume(waiter)
            }
        }
    }

    /// One 20 ms tick. Public for the allocation-counting test and benchmarks.
    public func tick() {
        while let command = commands.pop() { apply(command) }
        var moved: UInt64 = 0
        for i in 0..<MediaEngine.maxBridges where bridges[i].active {
            moved &+= pump(from: bridges[i].a, to: bridges[i].b, table: bridges[i].aToB)
            moved &+= pump(from: bridges[i].b, to: bridges[i].a, table: bridges[i].bToA)
        }
        for c in 0..<MediaEngine.maxConferences where confSizes[c] > 0 { mix(conference: c) }
        // Tones and detection on channels that are not bridged; channels not in use are skipped.
        for s in 0..<spans.count where slotsInUse > 0 {
            for ch in 1..<MediaEngine.slotsPerSpan {
                let i = s * MediaEngine.slotsPerSpan + ch
                if inUse[i] == 0 { continue }
                if dsp[i].prompt != nil {
                    playPrompt(slot: i, span: spans[s], channel: ch)
                } else if dsp[i].toneOn {
                    playTone(slot: i, span: spans[s], channel: ch)
                }
                if (dsp[i].detect || dsp[i].recordSlot >= 0) && bridged[i] == 0 {
                    while true {
                        let got = spans[s].readFrame(channel: ch, into: frame)
                        if got == 0 { break }
                        if dsp[i].detect { detect(slot: i, count: got) }
                        if dsp[i].recordSlot >= 0 { tap(slot: i, count: got) }
                    }
                }
                if bridged[i] != 0 || dsp[i].prompt != nil || dsp[i].toneOn || dsp[i].detect || dsp[i].recordSlot >= 0 {
                    inUse[i] = lingerTicks
                } else {
                    inUse[i] -= 1  // idle: the slack queued to send plays out, then the channel is let go
                    if inUse[i] == 0 { release(span: s, channel: ch) }
                }
            }
        }
        if let recorder { flushTaps(recorder) }
        framesMoved.add(moved, ordering: .relaxed)
        tickCount.add(1, ordering: .relaxed)
    }

    private func playTone(slot i: Int, span: any SpanDriver, channel: Int) {
        let law = dsp[i].law
        let n = Int(tone_gen(dsp[i].toneState, linear, Int32(frameBytes)))
        let out = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for k in 0..<frameBytes { out[k] = k < n ? g711.encode(linear[k], law) : law.idleByte }
        _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(frame))
    }

    private func playPrompt(slot i: Int, span: any SpanDriver, channel: Int) {
        guard let audio = dsp[i].prompt else { return }
        let out = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let pos = dsp[i].promptPosition
        let n = min(frameBytes, dsp[i].promptLength - pos)
        for k in 0..<frameBytes { out[k] = k < n ? audio[pos + k] : dsp[i].law.idleByte }
        _ = span.writeFrame(channel: channel, from: UnsafeRawBufferPointer(frame))
        dsp[i].promptPosition = pos + n
        if dsp[i].promptPosition >= dsp[i].promptLength && dsp[i].promptLoop {
            dsp[i].promptPosition = 0
        } else if dsp[i].promptPosition >= dsp[i].promptLength {
            dsp[i].prompt = nil
            emit(.promptFinished(Endpoint(span: i / MediaEngine.slotsPerSpan, channel: channel),
                                 token: dsp[i].promptToken))
        }
    }

    /// N−1 mixing: every member's frame in linear, the sum, and each member
    /// gets the sum without its own voice (saturated, in its span's law).
    private func mix(conference c: Int) {
        let n = confSizes[c], base = c * MediaEngine.maxConferenceMembers
        for k in 0..<frameBytes { confSum[k] = 0 }
        for m in 0..<n {
            let e = confMembers[base + m], i = slot(e)
            let own = confLinear + (base + m) * frameBytes
            var got = 0
            while true {  // the newest frame counts; older ones are dropped (catch-up)
                let r = spans[e.span].readFrame(channel: e.channel, into: frame)
                if r == 0 { break }
                got = r
                if dsp[i].detect { detect(slot: i, count: r) }
            }
            let p = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let law = dsp[i].law
            for k in 0..<frameBytes {
                own[k] = k < got ? g711.linear(p[k], law) : 0
                confSum[k] &+= Int32(own[k])
            }
        }
        let out = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for m in 0..<n {
            let e = confMembers[base + m]
            let own = confLinear + (base + m) * frameBytes
            let law = dsp[slot(e)].law
            for k in 0..<frameBytes {
                out[k] = g711.encode(Int16(clamping: confSum[k] - Int32(own[k])), law)
            }
            _ = spans[e.span].writeFrame(channel: e.channel, from: UnsafeRawBufferPointer(frame))
        }
    }

    /// Copies the frame in `frame` (as received from the slot's channel) into its recording tap.
    @inline(__always)
    private func tap(slot i: Int, count: Int) {
        let r = dsp[i].recordSlot, side = dsp[i].recordSide
        if taps[r][queued: side] == MediaEngine.tapDepth, let recorder {
            emitTap(r, recorder)  // the other party is far behind: its side gets idle
        }
        let k = taps[r][queued: side]
        let dst = tapFrames.baseAddress! + ((r * 2 + side) * MediaEngine.tapDepth + k) * frameBytes
        dst.copyMemory(from: frame.baseAddress!, byteCount: min(count, frameBytes))
        if count < frameBytes { (dst + count).initializeMemory(as: UInt8.self, repeating: dsp[i].law.idleByte, count: frameBytes - count) }
        taps[r][queued: side] += 1
    }

    /// Hands each active tap's complete ticks to the writer: a pair when both
    /// parties' frames are there; a party that sent nothing for two ticks
    /// gets idle. A tick in which no frame arrived adds nothing, so the
    /// recording follows the frames received (catch-up ticks do not stretch it).
    private func flushTaps(_ recorder: RecordingWriter) {
        for r in 0..<tapCount where taps[r].active {
            if taps[r].second == nil {
                while taps[r].queued.0 > 0 { emitTap(r, recorder) }
                continue
            }
            while taps[r].queued.0 > 0 && taps[r].queued.1 > 0 { emitTap(r, recorder) }
            while taps[r].queued.0 >= 2 || taps[r].queued.1 >= 2 { emitTap(r, recorder) }
        }
    }

    /// One tick to the writer: each party's oldest queued frame, or idle.
    private func emitTap(_ r: Int, _ recorder: RecordingWriter) {
        for side in 0..<2 {
            let out = tapPair.baseAddress! + side * frameBytes
            let queue = tapFrames.baseAddress! + (r * 2 + side) * MediaEngine.tapDepth * frameBytes
            let n = taps[r][queued: side]
            if n > 0 {
                out.copyMemory(from: queue, byteCount: frameBytes)
                if n > 1 { queue.copyMemory(from: queue + frameBytes, byteCount: (n - 1) * frameBytes) }
                taps[r][queued: side] -= 1
            } else {
                let e = side == 0 ? taps[r].first : (taps[r].second ?? taps[r].first)
                out.initializeMemory(as: UInt8.self, repeating: spans[e.span].law.idleByte, count: frameBytes)
            }
        }
        recorder.push(slot: r, tick: UnsafeRawBufferPointer(tapPair))
    }

    /// Feeds the frame in `frame` (channel law) to the slot's DTMF receiver.
    @inline(__always)
    private func detect(slot i: Int, count: Int) {
        let law = dsp[i].law
        let p = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for k in 0..<count { linear[k] = g711.linear(p[k], law) }
        _ = dtmf_rx(dsp[i].dtmfState, linear, Int32(count))
    }

    fileprivate func digitDetected(_ endpoint: Endpoint, _ digits: UnsafePointer<CChar>, _ count: Int) {
        for k in 0..<count { emit(.digit(endpoint, UInt8(bitPattern: digits[k]))) }
    }

    @inline(__always)
    private func pump(from src: Endpoint, to dst: Endpoint, table: UnsafePointer<UInt8>?) -> UInt64 {
        let input = spans[src.span], output = spans[dst.span]
        let tap = dsp[slot(src)].detect
        var n: UInt64 = 0
        while true {
            let got = input.readFrame(channel: src.channel, into: frame)
            if got == 0 { break }
            if tap { detect(slot: slot(src), count: got) }
            if dsp[slot(src)].recordSlot >= 0 { self.tap(slot: slot(src), count: got) }
            if let table {
                let p = frame.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for k in 0..<got { p[k] = table[Int(p[k])] }
            }
            _ = output.writeFrame(channel: dst.channel, from: UnsafeRawBufferPointer(rebasing: frame[0..<got]))
            n += 1
        }
        return n
    }

    private func apply(_ command: Command) {
        switch command {
        case .bridge(let id, let a, let b):
            let prime = primeFrames
            guard id >= 0 && id < MediaEngine.maxBridges, !bridges[id].active else { return }
            use(a)
            use(b)
            let lawA = spans[a.span].law, lawB = spans[b.span].law
            bridges[id].a = a
            bridges[id].b = b
            bridges[id].aToB = lawA == lawB ? nil : UnsafePointer(tables + (lawA == .mulaw ? 0 : 256))
            bridges[id].bToA = lawA == lawB ? nil : UnsafePointer(tables + (lawB == .mulaw ? 0 : 256))
            spans[a.span].flush(channel: a.channel)
            spans[b.span].flush(channel: b.channel)  // stale received idle; transmit keeps the prime
            // A channel playing a tone or prompt has its 3 frames of slack queued already.
            primeIdle(a, count: dsp[slot(a)].toneOn || dsp[slot(a)].prompt != nil ? max(0, prime - 3) : prime)
            primeIdle(b, count: dsp[slot(b)].toneOn || dsp[slot(b)].prompt != nil ? max(0, prime - 3) : prime)
            dsp[slot(a)].toneOn = false  // a bridge replaces any tone or prompt
            dsp[slot(b)].toneOn = false
            dsp[slot(a)].prompt = nil
            dsp[slot(b)].prompt = nil
            bridged[slot(a)] = 1
            bridged[slot(b)] = 1
            bridges[id].active = true
            activeBridges.add(1, ordering: .relaxed)
        case .unbridge(let id):
            guard id >= 0 && id < MediaEngine.maxBridges, bridges[id].active else { return }
            bridges[id].active = false
            bridged[slot(bridges[id].a)] = 0
            bridged[slot(bridges[id].b)] = 0
            activeBridges.subtract(1, ordering: .relaxed)
        case .playTone(let e, let tone):
            let i = slot(e)
            guard bridged[i] == 0, let descriptor = toneDescriptors[e.span * 4 + tone.rawValue] else { return }
            use(e)
            _ = tone_gen_init(dsp[i].toneState, descriptor)
            if !dsp[i].toneOn && dsp[i].prompt == nil { primeIdle(e, count: 3) }
            dsp[i].prompt = nil
            dsp[i].toneOn = true
        case .stopTone(let e):
            dsp[slot(e)].toneOn = false
        case .usePrompts(let library):
            playing = library  // the old one stays retained: nothing is freed here
        case .playPrompt(let e, let id, let token, let loop):
            let i = slot(e)
            guard bridged[i] == 0, let prompts = playing, id >= 0, id < prompts.count else { return }
            use(e)
            let audio = prompts.audio(id, dsp[i].law)
            if !dsp[i].toneOn && dsp[i].prompt == nil { primeIdle(e, count: 3) }
            dsp[i].toneOn = false
            dsp[i].prompt = audio.baseAddress
            dsp[i].promptLength = audio.count
            dsp[i].promptPosition = 0
            dsp[i].promptToken = token
            dsp[i].promptLoop = loop
        case .stopPrompt(let e):
            dsp[slot(e)].prompt = nil
        case .record(let r, let first, let second):
            guard r >= 0, r < tapCount, !taps[r].active else { return }
            taps[r] = Tap(active: true, first: first, second: second)
            use(first)
            if let second { use(second) }
            dsp[slot(first)].recordSlot = r
            dsp[slot(first)].recordSide = 0
            if let second {
                dsp[slot(second)].recordSlot = r
                dsp[slot(second)].recordSide = 1
            }
        case .joinConference(let c, let e):
            guard c >= 0, c < MediaEngine.maxConferences, confSizes[c] < MediaEngine.maxConferenceMembers,
                  bridged[slot(e)] == 0 else { return }
            use(e)
            let base = c * MediaEngine.maxConferenceMembers
            confMembers[base + confSizes[c]] = e
            confSizes[c] += 1
            bridged[slot(e)] = 2  // 2: in a conference
            dsp[slot(e)].toneOn = false
            dsp[slot(e)].prompt = nil
            spans[e.span].flush(channel: e.channel)
            primeIdle(e, count: primeFrames)
        case .leaveConference(let c, let e):
            guard c >= 0, c < MediaEngine.maxConferences else { return }
            let base = c * MediaEngine.maxConferenceMembers
            for m in 0..<confSizes[c] where confMembers[base + m] == e {
                confMembers[base + m] = confMembers[base + confSizes[c] - 1]
                confSizes[c] -= 1
                bridged[slot(e)] = 0
                break
            }
        case .stopRecording(let r):
            guard r >= 0, r < tapCount, taps[r].active else { return }
            if dsp[slot(taps[r].first)].recordSlot == r { dsp[slot(taps[r].first)].recordSlot = -1 }
            if let second = taps[r].second, dsp[slot(second)].recordSlot == r { dsp[slot(second)].recordSlot = -1 }
            if let recorder { while taps[r].queued.0 > 0 || taps[r].queued.1 > 0 { emitTap(r, recorder) } }
            taps[r].active = false
            emit(.recordingStopped(slot: r))
        case .detectDigits(let e, let on):
            let i = slot(e)
            if on { use(e) }
            if on && !dsp[i].detect {
                _ = dtmf_rx_init(dsp[i].dtmfState, { user, digits, count in
                    guard let user, let digits else { return }
                    let ctx = user.assumingMemoryBound(to: DTMFContext.self).pointee
                    Unmanaged<MediaEngine>.fromOpaque(ctx.engine).takeUnretainedValue()
                        .digitDetected(ctx.endpoint, digits, Int(count))
                }, dtmfContexts + i)
                // Accept 9 dB normal and 6 dB reverse twist (SpanDSP's default
                // reverse twist of 4 dB loses digits at the Q.24 limits).
                dtmf_rx_parms(dsp[i].dtmfState, 0, 9, 6, -99)
            }
            dsp[i].detect = on
        }
    }

    /// Takes a channel into use (before its work starts: the driver drops
    /// what it received meanwhile, then the slack is primed).
    @inline(__always)
    private func use(_ e: Endpoint) {
        let i = slot(e)
        if inUse[i] == 0 {
            slotsInUse += 1
            slotsInUseGauge.store(slotsInUse, ordering: .relaxed)
            spans[e.span].setInUse(channel: e.channel, true)
        }
        inUse[i] = lingerTicks
    }

    private func release(span s: Int, channel: Int) {
        slotsInUse -= 1
        slotsInUseGauge.store(slotsInUse, ordering: .relaxed)
        spans[s].setInUse(channel: channel, false)
    }

    private func primeIdle(_ e: Endpoint, count: Int) {
        let span = spans[e.span]
        frame.initializeMemory(as: UInt8.self, repeating: span.law.idleByte)
        for _ in 0..<count { _ = span.writeFrame(channel: e.channel, from: UnsafeRawBufferPointer(frame)) }
    }
}

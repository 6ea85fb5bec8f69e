// SPDX-License-Identifier: GPL-2.0-or-later
import CPRI
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// One ISDN PRI D-channel: a libpri instance that reads and writes HDLC
/// frames through the span's ``DChannelPort``, runs libpri's timers, turns
/// libpri events into ``SignallingEvent``s and carries out
/// ``SignallingCommand``s. It is run by a ``DChannelLoop`` (by default the
/// process's shared one): libpri is never touched from another thread.
public final class DChannel: @unchecked Sendable {
    public let spanName: String
    public let role: SignallingRole
    public let switchType: SwitchType
    public let span: any SpanDriver
    /// The thread that runs this D-channel.
    public let loop: DChannelLoop
    private let logger: Logger
    private let capture: PcapWriter?
    private let debugFlags: Int32
    private let overlap: Bool

    private let handler: @Sendable (SignallingEvent) -> Void
    private enum Work { case command(SignallingCommand), alarms(SpanAlarms) }
    private let work = Mutex<[Work]>([])
    private let running = Atomic<Bool>(false)
    private let nextRef = Atomic<UInt64>(1)
    private let linkIsUp = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    // Loop-thread state (only touched on the loop's thread).
    private var pri: OpaquePointer?
    private var calls: [CallRef: OpaquePointer] = [:]
    private var refs: [OpaquePointer: CallRef] = [:]
    private var channels: [CallRef: Int] = [:]
    private var clearing: Set<CallRef> = []
    private var q921Up = false
    private var inAlarm = false
    private var messageLine = ""
    /// The commands being run, swapped with ``work`` (no allocation per batch).
    private var batch: [Work] = []
    /// After a hang-up or error on the descriptor: not polled until then (the line is gone; don't spin).
    private var lineGoneUntil: ContinuousClock.Instant?

    public init(span: any SpanDriver, role: SignallingRole, switchType: SwitchType,
                logger: Logger, capture: PcapWriter? = nil, debug: Int = 0, overlap: Bool = false,
                loop: DChannelLoop = .shared, handler: @escaping @Sendable (SignallingEvent) -> Void) {
        self.span = span
        self.spanName = span.name
        self.role = role
        self.switchType = switchType
        self.loop = loop
        var logger = logger
        logger[metadataKey: "span"] = "\(span.name)"
        self.logger = logger
        self.capture = capture
        self.debugFlags = Int32(debug)
        self.overlap = overlap
        self.handler = handler
    }

    public var isLinkUp: Bool { linkIsUp.load(ordering: .acquiring) }

    /// Reserves a call reference for an outgoing call (any thread).
    public func newCallRef() -> CallRef {
        CallRef(rawValue: nextRef.add(1, ordering: .relaxed).oldValue)
    }

    /// Queues a command for the loop thread (any thread). No system call
    /// unless the loop thread sleeps in `poll` and nobody woke it yet.
    public func send(_ command: SignallingCommand) {
        work.withLock { $0.append(.command(command)) }
        loop.ring()
    }

    /// Tells the loop thread the span's alarms changed (any thread).
    public func spanAlarmsChanged(_ alarms: SpanAlarms) {
        work.withLock { $0.append(.alarms(alarms)) }
        loop.ring()
    }

    /// Starts running on the loop (its thread starts if it was idle).
    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.attach(self)
    }

    /// Stops running and waits until the loop has let go of it.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        loop.detach(self)
        if !loop.isCurrentThread { finished.wait() }
    }

    // MARK: - Loop thread (DChannelLoop)

    /// Creates the libpri instance. False when libpri could not.
    func open() -> Bool {
        DChannel.installLogHandlers()
        let context = Unmanaged.passUnretained(self).toOpaque()
        pri = pri_new_cb(-1, role.libpriValue, switchType.libpriValue, { p, buf, len in
            DChannel.owner(p).ioRead(buf, Int(len))
        }, { p, buf, len in
            DChannel.owner(p).ioWrite(buf, Int(len))
        }, context)
        guard let pri else {
            logger.critical("libpri could not create the D-channel")
            return false
        }
        if debugFlags != 0 { pri_set_debug(pri, debugFlags) }
        pri_set_overlapdial(pri, overlap ? 1 : 0)
        pri_hangup_fix_enable(pri, 1)  // Q.931 §5.3.2 clearing, as chan_dahdi enables
        logger.info("D-channel started", metadata: ["role": "\(role.rawValue)", "switchtype": "\(switchType.rawValue)"])
        alarmsChanged(span.alarms)  // a span may start in alarm (no far end yet)
        return true
    }

    /// The loop has let go of this D-channel (``stop()`` returns).
    func close() {
        if pri != nil { logger.info("D-channel stopped") }
        finished.signal()
    }

    /// The descriptor to poll now: the span may have been stopped and
    /// reopened (new descriptor), or be closed or gone (-1: poll ignores
    /// it; libpri's timers still run).
    func pollDescriptor(now: ContinuousClock.Instant) -> Int32 {
        if let until = lineGoneUntil {
            if now < until { return -1 }
            lineGoneUntil = nil
        }
        return span.dchannel.pollDescriptor
    }

    /// What poll said about the descriptor.
    func serviceDescriptor(_ revents: Int16, now: ContinuousClock.Instant) {
        guard let pri else { return }
        if revents & Int16(POLLIN | POLLPRI) != 0, let e = pri_check_event(pri) {
            handle(e)
        } else if revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
            lineGoneUntil = now.advanced(by: .milliseconds(20))  // the line is gone; don't spin
        }
    }

    /// Whether commands wait (the loop does not sleep then).
    var hasWork: Bool { work.withLock { !$0.isEmpty } }

    /// Runs what is queued, then libpri's timers that are due.
    func runCommandsAndTimers() {
        guard let pri else { return }
        runCommands(pri)
        while let e = pri_schedule_run(pri) {
            handle(e)
        }
    }

    /// Milliseconds until libpri's next timer (at most 1000), or until the
    /// descriptor is polled again after a hang-up.
    func nextTimeoutMs(now: timeval) -> Int32 {
        var ms = 1000
        if let pri, let next = pri_schedule_next(pri) {
            ms = (next.pointee.tv_sec - now.tv_sec) * 1000 + (Int(next.pointee.tv_usec) - Int(now.tv_usec)) / 1000
        }
        if lineGoneUntil != nil { ms = min(ms, 20) }
        return Int32(max(0, min(ms, 1000)))
    }

    private static func owner(_ p: OpaquePointer?) -> DChannel {
        Unmanaged<DChannel>.fromOpaque(pri_get_userdata(p)!).takeUnretainedValue()
    }

    private func ioRead(_ buf: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        guard let buf else { return 0 }
        let n = span.dchannel.readFrame(into: UnsafeMutableRawBufferPointer(start: buf, count: len))
        if n > 2 { capture?.write(UnsafeRawBufferPointer(start: buf, count: n - 2), span: spanName, outgoing: false) }
        return Int32(max(n, 0))
    }

    private func ioWrite(_ buf: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        guard let buf else { return 0 }
        if len > 2 { capture?.write(UnsafeRawBufferPointer(start: buf, count: len - 2), span: spanName, outgoing: true) }
        _ = span.dchannel.writeFrame(UnsafeRawBufferPointer(start: buf, count: len))
        return Int32(len)  // libpri requires exactly the length given
    }

    // MARK: Events

    private func ref(for call: OpaquePointer?) -> CallRef? {
        guard let call else { return nil }
        return refs[call]
    }

    /// Channels to restart when the link comes back (libpri thread only).
    private var restartOnLinkUp: Set<Int> = []

    private func register(_ call: OpaquePointer, as ref: CallRef) {
        calls[ref] = call
        refs[call] = ref
    }

    private func forget(_ ref: CallRef) {
        if let call = calls.removeValue(forKey: ref) { refs[call] = nil }
        channels[ref] = nil
        clearing.remove(ref)
    }

    private static func channelNumber(_ raw: Int32) -> Int? {
        if raw < 0 { return nil }
        let ch = Int(raw & 0xFF)
        return ch == 0 || ch == 0xFF ? nil : ch
    }

    private func handle(_ e: UnsafeMutablePointer<pri_event>) {
        guard let pri else { return }
        var ev = CPRI_event()
        CPRI_flatten(e, &ev)
        let call = ev.call
        if logger.logLevel <= .trace {
            logger.trace("libpri event", metadata: ["event": "\(String(cString: pri_event2str(ev.type)))", "call": "\(ref(for: call).map { "\($0)" } ?? "-")", "cause": "\(ev.cause)"])
        }
        switch ev.type {
        case PRI_EVENT_DCHAN_UP:
            q921Up = true
            if !inAlarm { linkUp() }
        case PRI_EVENT_DCHAN_DOWN:
            q921Up = false
            linkDown(reason: "Q.921 link lost")
        case PRI_EVENT_RING:
            guard let call else { return }
            let ref = newCallRef()
            register(call, as: ref)
            let channel = DChannel.channelNumber(ev.channel)
            channels[ref] = channel
            let setup = IncomingSetup(
                calling: PartyNumber(digits: string(&ev.callingnum), plan: Int(ev.callingplan),
                                     presentation: Int(ev.callingpres), name: string(&ev.callingname)),
                called: string(&ev.callednum), calledPlan: Int(ev.calledplan),
                channel: channel, exclusive: ev.flexible == 0,
                bearer: Bearer(capability: Int(ev.ctype), layer1: Int(ev.layer1)),
                complete: ev.complete != 0, keypad: string(&ev.digits))
            handler(.incoming(ref, setup))
        case PRI_EVENT_INFO_RECEIVED, PRI_EVENT_KEYPAD_DIGIT:
            guard let ref = ref(for: call) else { return }
            handler(.digits(ref, string(&ev.digits), complete: ev.complete != 0))
        case PRI_EVENT_SETUP_ACK:
            if let ref = ref(for: call) { handler(.setupAcknowledged(ref)) }
        case PRI_EVENT_PROCEEDING:
            if let ref = ref(for: call) { handler(.proceeding(ref, channel: DChannel.channelNumber(ev.channel))) }
        case PRI_EVENT_PROGRESS:
            if let ref = ref(for: call) { handler(.progress(ref)) }
        case PRI_EVENT_RINGING:
            if let ref = ref(for: call) { handler(.alerting(ref)) }
        case PRI_EVENT_ANSWER:
            if let ref = ref(for: call) { handler(.connected(ref, channel: DChannel.channelNumber(ev.channel))) }
        case PRI_EVENT_HANGUP_REQ:
            // DISCONNECT from the far end: release our side with the same cause.
            guard let call, let ref = ref(for: call) else { return }
            let cause = Q931Cause(Int(ev.cause))
            if !clearing.contains(ref) {
                clearing.insert(ref)
                handler(.disconnected(ref, cause))
            }
            pri_hangup(pri, call, ev.cause)
        case PRI_EVENT_HANGUP:
            // RELEASE / RELEASE COMPLETE: the call reference ends once we hang up too.
            guard let call else { return }
            let cause = Q931Cause(Int(ev.cause))
            if let ref = ref(for: call) {
                if !clearing.contains(ref) { handler(.disconnected(ref, cause)) }
                forget(ref)
                pri_hangup(pri, call, ev.cause)
                handler(.released(ref, cause))
            } else {
                pri_hangup(pri, call, ev.cause)
            }
        case PRI_EVENT_HANGUP_ACK:
            guard let ref = ref(for: call) else { return }
            forget(ref)
            handler(.released(ref, Q931Cause(Int(ev.cause))))
        case PRI_EVENT_RESTART:
            // Q.931 §5.5: the far end returns the channel (or the whole
            // interface) to idle; the calls on it end here too, as in chan_dahdi.
            let channel = DChannel.channelNumber(ev.channel)
            handler(.restart(channel: channel))
            for (ref, call) in calls.sorted(by: { $0.key < $1.key }) where channel == nil || channels[ref] == channel {
                if !clearing.contains(ref) { handler(.disconnected(ref, .temporaryFailure)) }
                forget(ref)
                pri_destroycall(pri, call)
                handler(.released(ref, .temporaryFailure))
            }
        case PRI_EVENT_RESTART_ACK:
            handler(.restartAcknowledged(channel: DChannel.channelNumber(ev.channel)))
        case PRI_EVENT_CONFIG_ERR:
            let text = string(&ev.text)
            logger.error("libpri configuration error", metadata: ["text": "\(text)"])
            handler(.protocolError(text))
        default:
            break
        }
    }

    private func linkUp() {
        guard !linkIsUp.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.notice("D-channel up")
        handler(.linkUp)
        // Q.931 §5.5: channels whose calls ended locally while the link was
        // down are restarted, so that neither side keeps them half-cleared.
        // They stay out of use until RESTART ACKNOWLEDGE (.restartAcknowledged).
        if let pri, !restartOnLinkUp.isEmpty {
            let channels = restartOnLinkUp.sorted()
            restartOnLinkUp.removeAll()
            logger.notice("restarting channels whose calls the link loss ended", metadata: ["channels": "\(channels)"])
            handler(.restarting(channels: channels))
            for ch in channels { pri_reset(pri, Int32(ch)) }
        }
    }

    /// The link is gone (Q.921 down or a span alarm): every call on it ends
    /// locally with cause 38, as chan_dahdi does when all D-channels drop.
    private func linkDown(reason: String) {
        guard let pri else { return }
        let wasUp = linkIsUp.exchange(false, ordering: .acquiringAndReleasing)
        if wasUp { logger.warning("D-channel down", metadata: ["reason": "\(reason)", "calls": "\(calls.count)"]) }
        for (ref, call) in calls.sorted(by: { $0.key < $1.key }) {
            if !clearing.contains(ref) { handler(.disconnected(ref, .networkOutOfOrder)) }
            // The far end may still hold the call: restart its channel once the link is back.
            if let ch = channels[ref] { restartOnLinkUp.insert(ch) }
            forget(ref)
            pri_destroycall(pri, call)
            handler(.released(ref, .networkOutOfOrder))
        }
        if wasUp { handler(.linkDown) }
    }

    // MARK: Commands

    /// Runs every queued command (one lock to take them all; the queue and
    /// the batch swap buffers, so neither allocates once grown).
    private func runCommands(_ pri: OpaquePointer) {
        work.withLock { q in
            if !q.isEmpty { swap(&q, &batch) }
        }
        guard !batch.isEmpty else { return }
        for item in batch {
            switch item {
            case .command(let command): run(command, pri)
            case .alarms(let alarms): alarmsChanged(alarms)
            }
        }
        batch.removeAll(keepingCapacity: true)
    }

    private func alarmsChanged(_ alarms: SpanAlarms) {
        let bad = !alarms.intersection([.red, .blue, .notOpen]).isEmpty
        guard bad != inAlarm else { return }
        inAlarm = bad
        if bad {
            logger.warning("span alarm", metadata: ["alarms": "\(alarms)"])
            linkDown(reason: "span alarm \(alarms)")
        } else {
            logger.notice("span alarm cleared")
            if q921Up { linkUp() }
        }
    }

    private func run(_ command: SignallingCommand, _ pri: OpaquePointer) {
        switch command {
        case .setup(let ref, let out):
            guard isLinkUp, let call = pri_new_call(pri) else {
                handler(.released(ref, isLinkUp ? .temporaryFailure : .networkOutOfOrder))
                return
            }
            register(call, as: ref)
            channels[ref] = out.channel
            let res = CPRI_setup(pri, call, Int32(out.channel), out.exclusive ? 1 : 0,
                                 Int32(out.bearer.capability), Int32(out.bearer.layer1),
                                 out.calling.digits, Int32(out.calling.plan), Int32(out.calling.presentation),
                                 out.calling.name, out.called, Int32(out.calledPlan), out.complete ? 1 : 0)
            if res != 0 {
                logger.error("SETUP failed", metadata: ["call": "\(ref)", "res": "\(res)"])
                forget(ref)
                pri_destroycall(pri, call)
                handler(.released(ref, .temporaryFailure))
            }
        case .proceeding(let ref, let channel):
            if let call = calls[ref] { pri_proceeding(pri, call, Int32(channel), 0) }
        case .needMoreInfo(let ref, let channel):
            if let call = calls[ref] { pri_need_more_info(pri, call, Int32(channel), 0) }
        case .alerting(let ref, let channel):
            if let call = calls[ref] { pri_acknowledge(pri, call, Int32(channel), 1) }
        case .answer(let ref, let channel):
            if let call = calls[ref] { pri_answer(pri, call, Int32(channel), 0) }
        case .information(let ref, let digits):
            if let call = calls[ref] { for d in digits.utf8 { pri_information(pri, call, CChar(bitPattern: d)) } }
        case .keypad(let ref, let digits):
            if let call = calls[ref] { _ = pri_keypad_facility(pri, call, digits) }
        case .hangup(let ref, let cause):
            guard let call = calls[ref], !clearing.contains(ref) else { return }
            clearing.insert(ref)
            pri_hangup(pri, call, Int32(cause.rawValue))
        case .restartAll:
            if isLinkUp { pri_restart(pri) }
        }
    }

    private func string<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    // MARK: libpri's process-wide log hooks

    private static let hooks: Void = {
        CPRI_set_log_handlers({ p, text in
            guard let p, let text, pri_get_userdata(p) != nil else { return }
            DChannel.owner(p).libpriMessage(String(cString: text), error: false)
        }, { p, text in
            guard let p, let text, pri_get_userdata(p) != nil else { return }
            DChannel.owner(p).libpriMessage(String(cString: text), error: true)
        })
    }()

    static func installLogHandlers() { _ = hooks }

    private func libpriMessage(_ text: String, error: Bool) {
        messageLine += text
        guard messageLine.hasSuffix("\n") else { return }
        let line = messageLine.trimmingCharacters(in: .newlines)
        messageLine = ""
        if error { logger.warning("libpri: \(line)") } else { logger.debug("libpri: \(line)") }
    }
}

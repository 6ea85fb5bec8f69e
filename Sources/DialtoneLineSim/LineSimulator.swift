// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Logging
import Synchronization

/// The built-in far end: real libpri in the opposite role on the other end of
/// each loopback span, playing the public network (placing calls toward
/// Dialtone) and agent stations (answering calls Dialtone routes to them),
/// with real G.711 pattern audio on the B-channels, verified bit for bit.
public final class LineSimulator: @unchecked Sendable {
    /// One far-end span.
    public struct Port: Sendable {
        public var span: any SpanDriver
        public var role: SignallingRole
        public var switchType: SwitchType
        public init(span: any SpanDriver, role: SignallingRole, switchType: SwitchType) {
            self.span = span
            self.role = role
            self.switchType = switchType
        }
    }

    /// How simulated agents treat a call routed to them.
    public struct AgentBehaviour: Sendable {
        public var answerAfter: Duration?           // nil: never answer
        public var rejectCause: Q931Cause?          // clear instead of answering
        public var hangUpAfter: Duration?           // agent clears first after this long connected
        /// With `hangUpAfter`: the agent clears no earlier than when the caller's
        /// whole test pattern has arrived (at most 5 s later), however late the
        /// caller began to send it.
        public var hangsUpAfterPattern: Bool
        /// Instead of the test pattern, the agent says a tone: (Hz, dBm0, ms) after the lead-in.
        public var tone: (hz: Int, level: Int, ms: Int)?
        /// Instead of a pattern run, the answered call is kept live for a
        /// script (``LineSimulator/answeredLive(dnis:timeout:)``).
        public var live = false
        /// False: the agent answers without sending or checking audio (signalling
        /// only, as the signalling benchmark's agents do); `AgentRecord.forward` stays nil.
        public var audio: Bool
        /// The station is a fax machine: it answers (after `answerAfter`) and
        /// runs SpanDSP's T.30 terminal on the call (answering role), then
        /// clears once the fax is over. Results: ``LineSimulator/faxResults(number:)``.
        public var fax: FaxMachine?
        public init(answerAfter: Duration? = .milliseconds(100), rejectCause: Q931Cause? = nil, hangUpAfter: Duration? = nil,
                    hangsUpAfterPattern: Bool = false, tone: (hz: Int, level: Int, ms: Int)? = nil, audio: Bool = true,
                    live: Bool = false) {
            self.live = live
            self.answerAfter = answerAfter
            self.rejectCause = rejectCause
            self.hangUpAfter = hangUpAfter
            self.hangsUpAfterPattern = hangsUpAfterPattern
            self.tone = tone
            self.audio = audio
        }

        /// A fax machine answering calls (``fax``).
        public static func faxMachine(_ machine: FaxMachine, answerAfter: Duration = .milliseconds(300)) -> AgentBehaviour {
            var b = AgentBehaviour(answerAfter: answerAfter, live: true)
            b.fax = machine
            return b
        }
        /// A station that is busy (clears with user busy, cause 17).
        public static let busy = AgentBehaviour(rejectCause: .userBusy)
        /// A station that rings and never answers.
        public static let noAnswer = AgentBehaviour(answerAfter: nil)
    }

    /// What a fax machine of the simulator does with a call it answers.
    public enum FaxMachine: Sendable, Equatable {
        /// Receives into a new TIFF in `directory` (`<number>-<n>.tif`).
        case receive(directory: String)
        /// Sends these TIFF files.
        case send([String])
    }

    /// A call the simulated network places toward Dialtone.
    public struct CallPlan: Sendable {
        public var port: String
        public var ani: String
        public var dnis: String
        public var channel: Int?          // nil: the simulator picks a free one
        public var patternFrames: Int     // per direction; 0 = no audio check
        public var hold: Duration         // connected time before the caller clears
        public var callerClears: Bool     // false: wait for the far end to clear
        public var timeout: Duration
        /// Overlap sending: this many leading digits go in the SETUP (without
        /// sending complete), the rest one INFORMATION per digit after SETUP ACK.
        public var overlapDigits: Int?
        /// Leave the B-channel to the network (no channel in SETUP): only
        /// meaningful where the simulator is the user side.
        public var anyChannel = false
        /// How long the caller takes to act on the CONNECT, as a far end (or
        /// a simulator busy with a full span) that sees it late: its pattern
        /// and hold time start that much later. It listens from the SETUP on regardless.
        public var reactionTime: Duration = .zero
        /// The caller speaks only once it hears the far party: answered by a
        /// queue, it waits (up to `timeout`) for the agent's pattern before
        /// sending its own, as a person on hold starts talking when the agent does.
        public var speaksWhenAnswered = false
        /// Told as the call gets through: `.proceeding` when the network took
        /// it (CALL PROCEEDING, ALERTING or CONNECT, whichever comes first), then `.connected`.
        public var progress: (@Sendable (CallProgress) -> Void)?
        public init(port: String, ani: String, dnis: String, channel: Int? = nil, patternFrames: Int = 25,
                    hold: Duration = .milliseconds(200), callerClears: Bool = true, timeout: Duration = .seconds(20),
                    overlapDigits: Int? = nil) {
            self.overlapDigits = overlapDigits
            self.port = port
            self.ani = ani
            self.dnis = dnis
            self.channel = channel
            self.patternFrames = patternFrames
            self.hold = hold
            self.callerClears = callerClears
            self.timeout = timeout
        }
    }

    /// How far a placed call got (``CallPlan/progress``).
    public enum CallProgress: Sendable { case proceeding, connected }

    /// What happened to a placed call, as the far end saw it.
    public struct CallResult: Sendable, CustomStringConvertible {
        public var ani: String
        public var dnis: String
        public var channel: Int?
        public var alerted = false
        public var connected = false
        /// Cause the caller saw (nil when the caller cleared first).
        public var cause: Q931Cause?
        public var clearedByCaller = false
        /// Agent → caller audio as the caller received it.
        public var backward: PatternCheck?
        public var released = false
        public var error: String?
        /// From handing the SETUP to the caller's D-channel to the CONNECT
        /// reaching the caller's call logic (nil when not answered).
        public var setupToConnect: Duration?

        public var description: String {
            "call \(ani)->\(dnis) ch \(channel.map(String.init) ?? "-"): connected=\(connected) cause=\(cause.map { "\($0)" } ?? "-") backward=\(backward.map { "\($0)" } ?? "-")\(error.map { " error: \($0)" } ?? "")"
        }
    }

    /// What a simulated agent saw of a call.
    public struct AgentRecord: Sendable {
        public var ani: String
        public var dnis: String
        public var port: String
        public var channel: Int?
        public var answered = false
        /// Caller → agent audio as the agent received it.
        public var forward: PatternCheck?
        public var cause: Q931Cause?
    }

    let ports: [String: PortState]
    private let clock: any FrameClock
    private let logger: Logger
    private let running = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    /// Wakes the media thread from its idle sleep (a run armed, or stop()).
    private let bell = Doorbell()
    let controller: SimController
    /// The signalling load running, if any (``startLoad(callers:agents:dnis:limit:timeout:)``).
    private let load = SignallingLoad.Slot()

    final class PortState: @unchecked Sendable {
        let name: String
        let port: Port
        var dchannel: DChannel!
        let channels: [PatternChannel]
        /// Channels a script drives live (``LiveCall``); they take precedence over patterns.
        let live: [LiveChannel]
        /// The span's B-channels (computed once: the media thread walks them every tick).
        let bearers: [Int]
        init(name: String, port: Port, bell: Doorbell) {
            self.name = name
            self.port = port
            bearers = port.span.type.bearerChannels
            channels = (0...port.span.type.timeslots).map { _ in PatternChannel(bell: bell) }
            live = (0...port.span.type.timeslots).map { _ in LiveChannel(bell: bell) }
        }

        /// True while a channel has a pattern run or a live call.
        var needsTicks: Bool {
            bearers.contains { channels[$0].needsTicks || live[$0].isActive }
        }
    }

    /// Idle frames queued ahead when a pattern starts: jitter slack (3 for
    /// virtual spans; more where the host may stall, as under emulation).
    public let primeFrames: Int

    public init(ports: [Port], clock: any FrameClock, logger: Logger, primeFrames: Int = 3) {
        self.primeFrames = primeFrames
        var logger = logger
        logger[metadataKey: "component"] = "linesim"
        self.logger = logger
        self.clock = clock
        var map: [String: PortState] = [:]
        for p in ports { map[p.span.name] = PortState(name: p.span.name, port: p, bell: bell) }
        self.ports = map
        controller = SimController(logger: logger)
        controller.simulator = self
        // The far end is other equipment: its D-channels run on a thread of their own, not on Dialtone's.
        let loop = DChannelLoop(name: "dialtone.linesim.dchan")
        for state in map.values {
            let name = state.name
            let controller = self.controller
            state.dchannel = DChannel(span: state.port.span, role: state.port.role, switchType: state.port.switchType,
                                      logger: logger, overlap: true, loop: loop) { [load] event in
                // A signalling load's calls are handled on the D-channel thread; the rest by the call logic.
                if let running = load.current, running.handle(port: name, event) { return }
                controller.input(port: name, event)
            }
            state.port.span.setEventHandler { [weak state] event in
                if case .alarmsChanged(let a) = event { state?.dchannel.spanAlarmsChanged(a) }
            }
        }
    }

    public func start() throws {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for state in ports.values {
            try state.port.span.start()
            state.dchannel.start()
        }
        Task { await controller.run() }
        let thread = Thread { [self] in mediaLoop() }
        thread.name = "dialtone.linesim.media"
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        bell.ring()
        stopped.wait()
        for state in ports.values { state.dchannel.stop() }
        controller.finish()
    }

    /// Waits until every port's D-channel is up (plus a short settle time).
    public func waitForLinks(timeout: Duration = .seconds(20)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if ports.values.allSatisfy({ $0.dchannel.isLinkUp }) {
                try? await Task.sleep(for: .seconds(1))
                return true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    public func isLinkUp(_ port: String) -> Bool { ports[port]?.dchannel.isLinkUp ?? false }

    /// Every port's line is free of alarms and its D-channel is up.
    public var linksUp: Bool { ports.values.allSatisfy { $0.dchannel.isLinkUp && $0.port.span.alarms.isEmpty } }

    /// Switches a far-end port's line off (closes its span) or back on.
    public func stopPort(_ port: String) { ports[port]?.port.span.stop() }
    public func startPort(_ port: String) throws { try ports[port]?.port.span.start() }

    /// Places one call and follows it to release.
    public func place(_ plan: CallPlan) async -> CallResult {
        let result = await controller.place(plan)
        // FACTS: a SETUP right after the link (re)establishes can be cleared
        // with cause 101 before anything happened; a real exchange retries.
        if result.cause == .wrongCallState && !result.alerted && !result.connected {
            try? await Task.sleep(for: .milliseconds(200))
            return await controller.place(plan)
        }
        return result
    }

    /// Places a call and, once Dialtone answers, keeps it live for a script
    /// (listen, send DTMF or keypad digits, hang up). Nil with the cause when
    /// the call was cleared before answer.
    public func dialLive(port: String, ani: String, dnis: String, seconds: Int = 120,
                         timeout: Duration = .seconds(10)) async -> Result<LiveCall, LiveCallError> {
        let result = await controller.dialLive(port: port, ani: ani, dnis: dnis, seconds: seconds, timeout: timeout)
        if case .failure(let e) = result, e.cause == .wrongCallState {
            try? await Task.sleep(for: .milliseconds(200))
            return await controller.dialLive(port: port, ani: ani, dnis: dnis, seconds: seconds, timeout: timeout)
        }
        return result
    }

    /// The next call to `dnis` that a `live` agent answered, kept live for
    /// the script (the same ``LiveCall`` as a placed one); nil on timeout.
    public func answeredLive(dnis: String, timeout: Duration = .seconds(10)) async -> LiveCall? {
        await controller.answeredLive(dnis: dnis, timeout: timeout)
    }

    /// ``dialLive(port:ani:dnis:seconds:timeout:)`` that throws the
    /// ``LiveCallError`` when the call was not answered.
    public func dialLiveCall(port: String, ani: String, dnis: String, seconds: Int = 120,
                             timeout: Duration = .seconds(10)) async throws(LiveCallError) -> LiveCall {
        try await dialLive(port: port, ani: ani, dnis: dnis, seconds: seconds, timeout: timeout).get()
    }

    /// Starts a closed-loop signalling load (``SignallingLoad``): one caller
    /// per entry of `callers` (a port; several callers may share one), each
    /// placing its next call to `dnis` as soon as its last is released; calls
    /// reaching `agents` ports are answered at once, without audio. With
    /// `limit`, that many calls in all. Until ``endLoad()``, the load's calls
    /// bypass the simulator's call logic (no agent records, no audio).
    public func startLoad(callers: [String], agents: [String], dnis: String, limit: Int? = nil,
                          measured: Bool = false, timeout: Duration = .seconds(10)) -> SignallingLoad {
        let list = ports.values.sorted { $0.name < $1.name }.map { st in
            SignallingLoad.Port(name: st.name, dchannel: st.dchannel,
                                order: st.port.role == .net ? st.bearers.reversed() : st.bearers,
                                isNet: st.port.role == .net, alaw: st.port.span.law == .alaw)
        }
        let l = SignallingLoad(ports: list, callers: callers, agents: agents, dnis: dnis, limit: limit, timeout: timeout)
        if measured { l.measure() }
        load.set(l)
        l.start()
        return l
    }

    /// Detaches the signalling load (after its ``SignallingLoad/finish()``).
    public func endLoad() { load.set(nil) }

    /// Sets how the station at `number` (the called number) behaves, over
    /// its port's behaviour: a fax machine, busy, never answering (nil: as its port).
    public func setBehaviour(_ behaviour: AgentBehaviour?, number: String) async {
        await controller.setBehaviour(behaviour, number: number)
    }

    /// The faxes the simulator's fax machines finished on calls to `number`, oldest first.
    public func faxResults(number: String) async -> [FaxResult] { await controller.faxResults(number: number) }

    /// Sets how agents on `port` behave (default: answer after 100 ms, caller clears).
    public func setAgentBehaviour(_ behaviour: AgentBehaviour, port: String? = nil) async {
        await controller.setBehaviour(behaviour, port: port)
    }

    /// Agent-side records of calls that reached the simulated agents, by ANI.
    public func agentRecord(ani: String) async -> AgentRecord? { await controller.agentRecord(ani: ani) }

    /// The agent's record once its audio check (if the call was answered) is done.
    public func finishedAgentRecord(ani: String, timeout: Duration = .seconds(5)) async -> AgentRecord? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if let r = await controller.agentRecord(ani: ani), !r.answered || r.forward != nil { return r }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await controller.agentRecord(ani: ani)
    }

    /// How long a pattern exchange takes after answer (lead-in, pattern, latency margin).
    public func audioWindow(frames: Int = 25) async -> Duration { await controller.audioWindow(frames: frames) }
    public func agentRecords() async -> [AgentRecord] { await controller.agentRecords() }
    public func activeCalls() async -> Int { await controller.activeCalls() }

    /// Late wake-ups of the media thread since the last ``takeStalls()``:
    /// how many came over the transmit slack late, and the longest.
    public struct Stalls: Sendable, CustomStringConvertible {
        public var overSlack = 0
        public var longestMs = 0
        public var description: String { "longest \(longestMs) ms, \(overSlack) over the \(slackMs) ms slack" }
        var slackMs = 0
    }
    private let lateOverSlack = Atomic<Int>(0)
    private let longestLate = Atomic<Int>(0)

    private func noteLate(_ ticks: UInt64) {
        if Int(ticks) >= primeFrames { lateOverSlack.add(1, ordering: .relaxed) }
        if Int(ticks) > longestLate.load(ordering: .relaxed) { longestLate.store(Int(ticks), ordering: .relaxed) }
    }

    /// The media thread's stalls since the last call (and starts counting anew).
    public func takeStalls() -> Stalls {
        Stalls(overSlack: lateOverSlack.exchange(0, ordering: .relaxed),
               longestMs: longestLate.exchange(0, ordering: .relaxed) * 20, slackMs: primeFrames * 20)
    }

    private func mediaLoop() {
        let waiter = clock.subscribe()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: frameBytes, alignment: 16)
        let list = Array(ports.values)
        defer {
            clock.unsubscribe(waiter)
            scratch.deallocate()
            stopped.signal()
        }
        // A late wake-up runs the ticks it missed, as a line card keeps
        // clocking frames out, up to the transmit slack: a stall shorter than
        // the slack leaves it whole. (At most 5 ticks were run before: every
        // wake-up over 100 ms late ate into the slack for good, until DAHDI
        // ran dry mid-pattern and sent silence, in a VM run whose longest
        // stall was 160 ms.) A stall longer than the slack still underruns.
        let catchUp = UInt64(max(5, primeFrames, LiveChannel.slackFrames))
        while running.load(ordering: .relaxed) {
            let elapsed = waiter.wait(timeoutMs: 100)
            if elapsed > 1 { noteLate(elapsed - 1) }
            for _ in 0..<min(elapsed, catchUp) { tickAll(list, scratch) }
            if !list.contains(where: { $0.needsTicks }) {
                // No pattern run and no live call: no ticks until one is armed.
                clock.pause(waiter)
                bell.sleep { list.contains { $0.needsTicks } || !running.load(ordering: .relaxed) }
                clock.resume(waiter)
            }
        }
    }

    private func tickAll(_ list: [PortState], _ scratch: UnsafeMutableRawBufferPointer) {
        for state in list {
            for ch in state.bearers {
                if state.live[ch].isActive {
                    state.live[ch].tick(span: state.port.span, channel: ch, scratch: scratch, prime: primeFrames)
                } else {
                    state.channels[ch].tick(span: state.port.span, channel: ch, scratch: scratch, prime: primeFrames)
                }
            }
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import DialtoneSignalling
import DialtoneSpans
import Foundation
import Logging

/// The line simulator's call logic: one actor owning every far-end call.
actor SimController {
    nonisolated(unsafe) weak var simulator: LineSimulator!
    private let logger: Logger
    private let inputs: AsyncStream<(String, SignallingEvent)>
    private let inputContinuation: AsyncStream<(String, SignallingEvent)>.Continuation

    /// Idle frames sent before a pattern, so the far end is surely recording.
    static let leadInFrames = 10
    /// Frames of margin for latency through the switch (grows with the slack).
    var marginFrames: Int { 21 + 3 * simulator.primeFrames }

    private struct Key: Hashable { var port: String; var ref: CallRef }
    private var outgoing: [Key: AsyncStream<SignallingEvent>.Continuation] = [:]
    private var agentCalls: [Key: AgentCall] = [:]
    private var records: [String: LineSimulator.AgentRecord] = [:]
    /// ANIs of `records`, oldest first (pruned past ``recordLimit``).
    private var recordOrder: [String] = []
    static let recordLimit = 2048
    private var busy: [String: Set<Int>] = [:]
    private var behaviour: [String: LineSimulator.AgentBehaviour] = [:]
    private var defaultBehaviour = LineSimulator.AgentBehaviour()
    private var numberBehaviour: [String: LineSimulator.AgentBehaviour] = [:]
    private var faxes: [String: [FaxResult]] = [:]
    private var faxCounter = 0
    /// Live agent calls: their event streams, and the answered calls not yet taken by a script (by number).
    private var liveAgents: [Key: AsyncStream<SignallingEvent>.Continuation] = [:]
    private var liveAnswered: [String: [LiveCall]] = [:]

    private struct AgentCall {
        var setup: IncomingSetup
        var channel: Int?
        var connected = false
        var clearing = false
        /// The agent sends and checks pattern audio (``LineSimulator/AgentBehaviour/audio``).
        var audio = true
    }

    init(logger: Logger) {
        self.logger = logger
        (inputs, inputContinuation) = AsyncStream.makeStream()
    }

    nonisolated func input(port: String, _ event: SignallingEvent) {
        inputContinuation.yield((port, event))
    }

    nonisolated func finish() { inputContinuation.finish() }

    func run() async {
        for await (port, event) in inputs { handle(port, event) }
    }

    func setBehaviour(_ b: LineSimulator.AgentBehaviour, port: String?) {
        if let port { behaviour[port] = b } else { defaultBehaviour = b; behaviour.removeAll() }
    }

    func setBehaviour(_ b: LineSimulator.AgentBehaviour?, number: String) { numberBehaviour[number] = b }
    func faxResults(number: String) -> [FaxResult] { faxes[number] ?? [] }

    func agentRecord(ani: String) -> LineSimulator.AgentRecord? { records[ani] }
    func agentRecords() -> [LineSimulator.AgentRecord] { Array(records.values) }
    func activeCalls() -> Int { outgoing.count + agentCalls.count }
    func audioWindow(frames: Int) -> Duration { .milliseconds((Self.leadInFrames + frames + marginFrames) * 20) }

    private func state(_ port: String) -> LineSimulator.PortState { simulator.ports[port]! }

    // MARK: Events

    private func handle(_ port: String, _ event: SignallingEvent) {
        switch event {
        case .incoming(let ref, let setup):
            agentIncoming(port, ref, setup)
        case .linkUp, .linkDown, .restart, .restarting, .restartAcknowledged, .protocolError:
            break
        default:
            guard let ref = event.callRef else { return }
            let key = Key(port: port, ref: ref)
            if let c = outgoing[key] {
                c.yield(event)
                if case .released = event {
                    c.finish()
                    outgoing[key] = nil
                }
            } else if agentCalls[key] != nil {
                agentEvent(key, event)
            }
        }
    }

    // MARK: Agents (calls Dialtone routes to the simulator)

    private func agentIncoming(_ port: String, _ ref: CallRef, _ setup: IncomingSetup) {
        let key = Key(port: port, ref: ref)
        let dchannel = state(port).dchannel!
        let channel = setup.channel ?? 0
        if setup.channel == nil || busy[port, default: []].contains(channel) {
            dchannel.send(.proceeding(ref, channel: channel))
            dchannel.send(.hangup(ref, .requestedChannelUnavailable))
            return
        }
        busy[port, default: []].insert(channel)
        let b = numberBehaviour[setup.called] ?? behaviour[port] ?? defaultBehaviour
        agentCalls[key] = AgentCall(setup: setup, channel: setup.channel, audio: b.audio)
        if records.updateValue(LineSimulator.AgentRecord(ani: setup.calling.digits, dnis: setup.called,
                                                         port: port, channel: setup.channel), forKey: setup.calling.digits) == nil {
            recordOrder.append(setup.calling.digits)
            // A long demo must not grow without bound: the oldest records go.
            if recordOrder.count > Self.recordLimit {
                let excess = recordOrder.count - Self.recordLimit
                for ani in recordOrder.prefix(excess) { records[ani] = nil }
                recordOrder.removeFirst(excess)
            }
        }
        dchannel.send(.proceeding(ref, channel: channel))
        if let cause = b.rejectCause {
            dchannel.send(.hangup(ref, cause))
            return
        }
        dchannel.send(.alerting(ref, channel: channel))
        guard let after = b.answerAfter else { return }
        if b.live {
            later(after) { await $0.agentAnswerLive(key, fax: b.fax) }
            return
        }
        if after == .zero && !b.audio && b.hangUpAfter == nil {
            // Signalling only, no delay: CONNECT in the same turn (no task, no timer).
            agentCalls[key]?.connected = true
            dchannel.send(.answer(ref, channel: channel))
            records[setup.calling.digits]?.answered = true
            return
        }
        later(after) { await $0.agentAnswer(key, b) }
    }

    private func agentAnswer(_ key: Key, _ b: LineSimulator.AgentBehaviour) async {
        guard let answering = agentCalls[key], let channel = answering.channel else { return }
        let st = state(key.port)
        if answering.audio {
            let law = st.port.span.law
            let ani = answering.setup.calling.digits
            let audio = b.tone.map { [UInt8](repeating: law.idleByte, count: Self.leadInFrames * frameBytes)
                                         + ToneBurst.bytes(hz: $0.hz, level: $0.level, ms: $0.ms, law: law) }
                ?? Self.stream(seed: ani + "/bwd", law: law, frames: patternBytes / frameBytes)
            await arm(st, key.port, channel, expecting: TestPattern.bytes(seed: TestPattern.seed(ani + "/fwd"), count: patternBytes),
                      sending: audio)
        }
        guard var call = agentCalls[key], !call.clearing else { return }
        call.connected = true
        agentCalls[key] = call
        st.dchannel.send(.answer(key.ref, channel: channel))
        records[call.setup.calling.digits]?.answered = true
        if let hangUpAfter = b.hangUpAfter {
            later(hangUpAfter) { await $0.agentHangUp(key, waitingForPattern: b.hangsUpAfterPattern) }
        }
    }

    /// Answers and keeps the call live for a script: it listens from the CONNECT on.
    private func agentAnswerLive(_ key: Key, fax: LineSimulator.FaxMachine? = nil) async {
        guard agentCalls[key] != nil, let channel = agentCalls[key]?.channel else { return }
        let st = state(key.port)
        let audio = st.live[channel]
        if audio.isActive {  // the last live call on this channel is still stopping
            audio.stop()
            for _ in 0..<100 where audio.isActive { try? await Task.sleep(for: .milliseconds(5)) }
        }
        guard var call = agentCalls[key], !call.clearing, !audio.isActive else { return }
        audio.arm(seconds: 300)
        call.connected = true
        agentCalls[key] = call
        let (events, continuation) = AsyncStream<SignallingEvent>.makeStream()
        liveAgents[key] = continuation
        let live = LiveCall(port: key.port, ani: call.setup.called, channel: channel, law: st.port.span.law, ref: key.ref,
                            dchannel: st.dchannel!, audio: audio, events: events)
        st.dchannel.send(.answer(key.ref, channel: channel))
        records[call.setup.calling.digits]?.answered = true
        liveAnswered[call.setup.called, default: []].append(live)
        if let fax { runFaxMachine(live, number: call.setup.called, fax) }
    }

    /// A fax machine's call: T.30 from the answer on, the result kept, then it clears.
    private func runFaxMachine(_ live: LiveCall, number: String, _ machine: LineSimulator.FaxMachine) {
        do {
            switch machine {
            case .receive(let dir):
                faxCounter += 1
                try live.startFax(receive: "\(dir)/\(number)-\(faxCounter).tif")
            case .send(let files):
                try live.startFax(send: files, role: .answering)
            }
        } catch {
            logger.error("simulated fax machine cannot start", metadata: ["number": "\(number)", "why": "\(error)"])
            return
        }
        Task {
            let result = await live.waitForFax(timeout: .seconds(600))
            if let result { self.faxDone(number, result) }
            await live.hangUp()
        }
    }

    private func faxDone(_ number: String, _ result: FaxResult) { faxes[number, default: []].append(result) }

    func answeredLive(dnis: String, timeout: Duration) async -> LiveCall? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if var list = liveAnswered[dnis], !list.isEmpty {
                let call = list.removeFirst()
                liveAnswered[dnis] = list
                return call
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    private func agentHangUp(_ key: Key, waitingForPattern: Bool) async {
        if waitingForPattern, let channel = agentCalls[key]?.channel {
            // However late the caller started sending, its pattern is heard to the end first.
            await waitForPattern(state(key.port).channels[channel], upTo: Self.patternWait)
        }
        guard var call = agentCalls[key], !call.clearing else { return }
        call.clearing = true
        agentCalls[key] = call
        await finishAgentAudio(key)
        state(key.port).dchannel.send(.hangup(key.ref, .normalClearing))
    }

    private func agentEvent(_ key: Key, _ event: SignallingEvent) {
        if let live = liveAgents[key] {
            live.yield(event)
            if case .released = event {
                live.finish()
                liveAgents[key] = nil
                if let ch = agentCalls.removeValue(forKey: key)?.channel {
                    busy[key.port]?.remove(ch)
                    state(key.port).live[ch].stop()
                }
            }
            return
        }
        switch event {
        case .disconnected(_, let cause):
            guard var call = agentCalls[key] else { return }
            records[call.setup.calling.digits]?.cause = cause
            if !call.clearing {
                call.clearing = true
                agentCalls[key] = call
                if call.audio { Task { await self.finishAgentAudio(key, call) } }
            }
        case .released(_, let cause):
            guard let call = agentCalls[key] else { return }
            if records[call.setup.calling.digits]?.cause == nil { records[call.setup.calling.digits]?.cause = cause }
            if !call.clearing, call.connected, call.audio {
                // Released without a DISCONNECT first (link loss): still stop the audio.
                Task { await self.finishAgentAudio(key, call) }
            }
            agentCalls[key] = nil
            if let ch = call.channel { busy[key.port]?.remove(ch) }
        default:
            break
        }
    }

    private func free(_ port: String, _ channel: Int) { busy[port]?.remove(channel) }

    /// Audio checks in progress, by "port/channel": a new call on the
    /// channel waits for the previous call's check before re-arming it.
    private var checks: [String: Task<Void, Never>] = [:]

    private func finishAgentAudio(_ key: Key) async {
        guard let call = agentCalls[key] else { return }
        await finishAgentAudio(key, call)
    }

    private func finishAgentAudio(_ key: Key, _ call: AgentCall) async {
        guard call.connected, call.audio, let channel = call.channel else { return }
        let st = state(key.port)
        let ani = call.setup.calling.digits
        let check = Task { await self.collect(st, channel) }
        checks["\(key.port)/\(channel)"] = Task { _ = await check.value }
        let forward = await check.value  // never await inside an access to `records`
        records[ani]?.forward = forward
    }

    /// Stops a channel's pattern run and checks what it received.
    private func collect(_ st: LineSimulator.PortState, _ channel: Int) async -> PatternCheck {
        let pc = st.channels[channel]
        await stopped(pc)
        return pc.check()
    }

    /// Stops a run and waits until the media thread has let it go (its next
    /// tick; up to 5 s on a stalled host).
    private func stopped(_ pc: PatternChannel) async {
        pc.stop()
        for _ in 0..<1000 where !pc.isStopped { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Longest wait for a pattern past the time it should have taken.
    static let patternWait = Duration.seconds(5)

    /// Returns once the channel has heard its whole expected pattern, or after `limit`.
    private func waitForPattern(_ pc: PatternChannel, upTo limit: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while !pc.hasPattern && clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Arms a channel's pattern run: it listens for `expecting` at once and
    /// sends `sending` (now, or when given later to ``PatternChannel/send(_:)``).
    private func arm(_ st: LineSimulator.PortState, _ port: String, _ channel: Int, expecting: [UInt8],
                     sending: [UInt8]? = nil) async {
        if let pending = checks.removeValue(forKey: "\(port)/\(channel)") { await pending.value }
        let pc = st.channels[channel]
        if !pc.isStopped { await stopped(pc) }
        pc.arm(expecting: expecting, sending: sending)  // traps if the media thread never let go
    }

    // MARK: Caller (the simulated network placing calls toward Dialtone)

    private var patternBytes = 25 * frameBytes

    func place(_ plan: LineSimulator.CallPlan) async -> LineSimulator.CallResult {
        var result = LineSimulator.CallResult(ani: plan.ani, dnis: plan.dnis)
        guard let st = simulator.ports[plan.port] else {
            result.error = "no simulator port \(plan.port)"
            return result
        }
        let dchannel = st.dchannel!
        let span = st.port.span
        let candidates = st.port.role == .net ? span.type.bearerChannels.reversed() : span.type.bearerChannels
        guard var channel = plan.channel ?? candidates.first(where: { !busy[plan.port, default: []].contains($0) }) else {
            result.error = "no free channel on simulator port \(plan.port)"
            return result
        }
        busy[plan.port, default: []].insert(channel)
        defer { busy[plan.port]?.remove(channel) }
        result.channel = channel
        patternBytes = max(patternBytes, plan.patternFrames * frameBytes)

        let ref = dchannel.newCallRef()
        let key = Key(port: plan.port, ref: ref)
        let (events, continuation) = AsyncStream<SignallingEvent>.makeStream()
        outgoing[key] = continuation
        let timeout = Task { [continuation] in
            try? await Task.sleep(for: plan.timeout)
            continuation.finish()
        }
        defer { timeout.cancel() }
        // The caller listens from its SETUP on, as a phone's B-channel does:
        // the receiver finds the agent's pattern wherever it arrives (after
        // ringback, however late this task sees the CONNECT). Where the
        // network picks the channel, from its first answer on.
        let frames = plan.patternFrames
        let expected = frames > 0 ? TestPattern.bytes(seed: TestPattern.seed(plan.ani + "/bwd"), count: patternBytes) : []
        var listening: Int?
        if frames > 0 && !plan.anyChannel {
            await arm(st, plan.port, channel, expecting: expected)
            listening = channel
        }
        let first = plan.overlapDigits.map { String(plan.dnis.prefix($0)) } ?? plan.dnis
        let setupSent = ContinuousClock.now
        dchannel.send(.setup(ref, OutgoingSetup(channel: plan.anyChannel ? -1 : channel, exclusive: !plan.anyChannel,
                                                calling: PartyNumber(digits: plan.ani, plan: 0x21, presentation: 0x03),
                                                called: first, bearer: span.law == .alaw ? .speechALaw : .speechMuLaw,
                                                complete: plan.overlapDigits == nil)))
        var iterator = events.makeAsyncIterator()
        var proceeding = false
        // Up to answer or clearing.
        while let event = await iterator.next() {
            switch event {
            case .proceeding, .alerting, .connected:
                if !proceeding { proceeding = true; plan.progress?(.proceeding) }
            default: break
            }
            switch event {
            case .proceeding(_, let chosen?) where plan.anyChannel && chosen != channel:
                // The network chose another B-channel: move our reservation.
                busy[plan.port]?.remove(channel)
                channel = chosen
                busy[plan.port, default: []].insert(channel)
                result.channel = channel
            case .setupAcknowledged:
                // Overlap sending: the rest of the number, digit by digit.
                for digit in plan.dnis.dropFirst(first.count) {
                    dchannel.send(.information(ref, String(digit)))
                    try? await Task.sleep(for: .milliseconds(30))
                }
            case .alerting: result.alerted = true
            case .connected:
                result.connected = true
                result.setupToConnect = ContinuousClock.now - setupSent
                plan.progress?(.connected)
            case .disconnected(_, let cause): result.cause = cause
            case .released(_, let cause):
                if result.cause == nil { result.cause = cause }
                result.released = true
            default: break
            }
            if frames > 0 && proceeding && listening != channel {
                if let old = listening { st.channels[old].stop() }
                await arm(st, plan.port, channel, expecting: expected)
                listening = channel
            }
            if result.connected || result.cause != nil { break }
        }
        if result.connected {
            if plan.reactionTime > .zero { try? await Task.sleep(for: plan.reactionTime) }
            if plan.speaksWhenAnswered, let listening { await waitForPattern(st.channels[listening], upTo: plan.timeout) }
            if let listening {
                st.channels[listening].send(Self.stream(seed: plan.ani + "/fwd", law: span.law, frames: frames))
            }
            let audio = Duration.milliseconds((Self.leadInFrames + frames + marginFrames) * 20)
            if plan.callerClears {
                try? await Task.sleep(for: max(plan.hold, frames > 0 ? audio : .zero))
                if let ch = listening {
                    await waitForPattern(st.channels[ch], upTo: Self.patternWait)
                    result.backward = await collect(st, ch)
                    listening = nil
                }
                if result.cause == nil {
                    result.clearedByCaller = true
                    dchannel.send(.hangup(ref, .normalClearing))
                }
            } else {
                while let event = await iterator.next() {
                    if case .disconnected(_, let cause) = event { result.cause = cause; break }
                    if case .released(_, let cause) = event { result.cause = cause; result.released = true; break }
                }
                if let ch = listening {
                    result.backward = await collect(st, ch)
                    listening = nil
                }
            }
        }
        if let ch = listening { st.channels[ch].stop() }  // not answered: nothing to check
        while !result.released, let event = await iterator.next() {
            if case .released(_, let cause) = event {
                result.released = true
                if result.cause == nil && !result.clearedByCaller { result.cause = cause }
            }
        }
        if !result.released {
            result.error = "no release within \(plan.timeout)"
            outgoing[key] = nil
        }
        return result
    }

    // MARK: Live calls (scripted far end)

    func dialLive(port: String, ani: String, dnis: String, seconds: Int, timeout: Duration) async -> Result<LiveCall, LiveCallError> {
        guard let st = simulator.ports[port] else { return .failure(LiveCallError(reason: "no simulator port \(port)")) }
        let span = st.port.span
        let candidates = st.port.role == .net ? span.type.bearerChannels.reversed() : span.type.bearerChannels
        guard let channel = candidates.first(where: { !busy[port, default: []].contains($0) && !st.live[$0].isActive }) else {
            return .failure(LiveCallError(reason: "no free channel on simulator port \(port)"))
        }
        busy[port, default: []].insert(channel)
        let dchannel = st.dchannel!
        let ref = dchannel.newCallRef()
        let key = Key(port: port, ref: ref)
        let (events, continuation) = AsyncStream<SignallingEvent>.makeStream()
        outgoing[key] = continuation
        // Everything up to CONNECT goes through a second stream; the LiveCall takes the rest.
        let (early, earlyContinuation) = AsyncStream<SignallingEvent>.makeStream()
        let (rest, restContinuation) = AsyncStream<SignallingEvent>.makeStream()
        let forward = Task {
            var connected = false
            for await event in events {
                if connected { restContinuation.yield(event) } else { earlyContinuation.yield(event) }
                if case .connected = event { connected = true; earlyContinuation.finish() }
            }
            earlyContinuation.finish()
            restContinuation.finish()
        }
        _ = forward
        let timer = Task { try? await Task.sleep(for: timeout); earlyContinuation.finish() }
        defer { timer.cancel() }
        // Listen from the SETUP on, as a phone's B-channel does once it is
        // through-connected: what the answering side plays right after its
        // CONNECT is heard from its first sample, however late this task
        // sees the CONNECT.
        st.live[channel].arm(seconds: seconds)
        dchannel.send(.setup(ref, OutgoingSetup(channel: channel, exclusive: true,
                                                calling: PartyNumber(digits: ani, plan: 0x21, presentation: 0x03),
                                                called: dnis, bearer: span.law == .alaw ? .speechALaw : .speechMuLaw)))
        var cause: Q931Cause?
        var connected = false
        for await event in early {
            if case .connected = event { connected = true; break }
            if case .disconnected(_, let c) = event { cause = c }
            if case .released(_, let c) = event { cause = cause ?? c; break }
        }
        guard connected else {
            if cause == nil { dchannel.send(.hangup(ref, .normalClearing)) }
            st.live[channel].stop()
            busy[port]?.remove(channel)
            return .failure(LiveCallError(reason: cause.map { "cleared before answer: \($0)" } ?? "no answer within \(timeout)", cause: cause))
        }
        let call = LiveCall(port: port, ani: ani, channel: channel, law: span.law, ref: ref, dchannel: dchannel,
                            audio: st.live[channel], events: rest)
        Task {
            _ = await call.waitForRelease(timeout: .seconds(Int64(seconds) + 60))
            self.releaseLive(port, channel)
        }
        return .success(call)
    }

    private func releaseLive(_ port: String, _ channel: Int) { busy[port]?.remove(channel) }

    /// Lead-in idle frames followed by the pattern.
    static func stream(seed: String, law: G711Law, frames: Int = 25) -> [UInt8] {
        [UInt8](repeating: law.idleByte, count: leadInFrames * frameBytes)
            + TestPattern.bytes(seed: TestPattern.seed(seed), count: frames * frameBytes)
    }

    private func later(_ delay: Duration, _ body: @escaping @Sendable (SimController) async -> Void) {
        Task {
            try? await Task.sleep(for: delay)
            await body(self)
        }
    }
}

/// Why a live call could not be established.
public struct LiveCallError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var cause: Q931Cause?
    public var description: String { reason }
}

extension SignallingEvent {
    /// The call a per-call event refers to.
    public var callRef: CallRef? {
        switch self {
        case .incoming(let r, _), .digits(let r, _, _), .setupAcknowledged(let r), .proceeding(let r, _),
             .progress(let r), .alerting(let r), .connected(let r, _), .disconnected(let r, _), .released(let r, _):
            r
        case .linkUp, .linkDown, .restart, .restarting, .restartAcknowledged, .protocolError:
            nil
        }
    }
}

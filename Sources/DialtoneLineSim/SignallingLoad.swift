// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSignalling
import Foundation
import Synchronization

/// Closed-loop signalling load from the line simulator, as a C load tester
/// (or `bench/sigfloor.c`) drives it: the far end's call logic runs in the
/// simulator's D-channel callbacks, on its D-channel thread, with no task,
/// stream or timer per call. Signalling only: no audio is sent or checked.
///
/// Each of the callers places a call (SETUP, en bloc, channel exclusive) on
/// its port, clears as soon as it sees CONNECT (DISCONNECT … RELEASE
/// COMPLETE) and places its next call once its call reference is released.
/// Calls reaching the load's agent ports are answered at once (CALL
/// PROCEEDING, ALERTING, CONNECT) and released when Dialtone clears them.
/// Every Q.931 message is the same as with ``LineSimulator/place(_:)`` and an
/// agent of ``LineSimulator/AgentBehaviour(answerAfter: .zero, audio: false)``.
///
/// Events of calls the load did not place or answer go to the simulator's
/// call logic as usual (links, alarms, restarts).
public final class SignallingLoad: Sendable {
    /// What the callers saw of the calls they placed while measuring.
    public struct Tally: Sendable {
        public var placed = 0
        public var completed = 0
        /// Calls that failed, and what the first ``maxFailures`` of them saw.
        public var failed = 0
        public var failures: [String] = []
        /// SETUP handed to the caller's D-channel → CONNECT in the caller's logic.
        public var latencies: [Duration] = []

        mutating func fail(_ what: String) {
            failed += 1
            if failures.count < SignallingLoad.maxFailures { failures.append(what) }
        }
    }

    static let maxFailures = 100

    private struct Key: Hashable {
        var port: Int
        var ref: CallRef
    }

    private struct Placed {
        var slot: Int
        var ani: String
        var channel: Int
        var sent: ContinuousClock.Instant
        var measured: Bool
        var connected = false
        var cause: Q931Cause?
        var clearedByCaller = false
    }

    private struct State {
        var placed: [Key: Placed] = [:]
        var answered: [Key: Int] = [:]
        var busy: [Set<Int>]
        var tally = Tally()
        var serial = 0
        var tickets: Int
        var measuring = false
        var stopping = false
        /// Callers whose next call is not placed (stopped, or out of tickets).
        var idle = 0
    }

    /// Where the simulator's D-channel callbacks find the load running.
    final class Slot: Sendable {
        private let running = Mutex<SignallingLoad?>(nil)
        var current: SignallingLoad? { running.withLock { $0 } }
        func set(_ load: SignallingLoad?) { running.withLock { $0 = load } }
    }

    struct Port {
        let name: String
        let dchannel: DChannel
        /// Free-channel search order: top down on the network side (as a NET picks), bottom up otherwise.
        let order: [Int]
        let isNet: Bool
        let alaw: Bool
    }

    let ports: [Port]
    let index: [String: Int]
    private let callerPorts: [Int]
    private let agentPorts: Set<Int>
    private let dnis: String
    private let limited: Bool
    private let timeout: Duration
    private let state: Mutex<State>

    init(ports: [Port], callers: [String], agents: [String], dnis: String, limit: Int?, timeout: Duration) {
        self.ports = ports
        var index: [String: Int] = [:]
        for (i, p) in ports.enumerated() { index[p.name] = i }
        self.index = index
        callerPorts = callers.map { index[$0]! }
        agentPorts = Set(agents.map { index[$0]! })
        self.dnis = dnis
        limited = limit != nil
        self.timeout = timeout
        state = Mutex(State(busy: Array(repeating: [], count: ports.count), tickets: limit ?? 0))
    }

    /// Starts every caller's first call.
    func start() {
        for slot in callerPorts.indices { placeNext(slot: slot) }
    }

    /// From now on, calls placed are counted.
    public func measure() { state.withLock { $0.measuring = true } }

    /// No new calls after this; the calls up finish.
    public func stop() { state.withLock { $0.stopping = true } }

    /// Calls placed and not yet released on the caller's side.
    public var callsUp: Int { state.withLock { $0.placed.count } }

    /// Waits until every caller has stopped and its last call is released
    /// (calls still up after ``timeout`` are counted as failed), then returns the tally.
    public func finish() async -> Tally {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if state.withLock({ $0.idle == callerPorts.count && $0.placed.isEmpty }) { break }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return state.withLock { s in
            for call in s.placed.values where call.measured {
                s.tally.placed += 1
                s.tally.fail("\(call.ani): no release within \(timeout)")
            }
            s.placed.removeAll()
            return s.tally
        }
    }

    // MARK: Callers

    private func placeNext(slot: Int) {
        let port = callerPorts[slot]
        let p = ports[port]
        let ref = p.dchannel.newCallRef()
        let go = state.withLock { s -> (ani: String, channel: Int)? in
            if s.stopping {
                s.idle += 1
                return nil
            }
            if limited {
                if s.tickets <= 0 { s.idle += 1; return nil }
                s.tickets -= 1
            }
            guard let channel = p.order.first(where: { !s.busy[port].contains($0) }) else {
                s.idle += 1
                if s.measuring { s.tally.placed += 1; s.tally.fail("no free channel on simulator port \(p.name)") }
                return nil
            }
            s.busy[port].insert(channel)
            let ani = Self.ani(s.serial)
            s.serial += 1
            s.placed[Key(port: port, ref: ref)] = Placed(slot: slot, ani: ani, channel: channel, sent: .now,
                                                         measured: s.measuring)
            return (ani, channel)
        }
        guard let go else { return }
        p.dchannel.send(.setup(ref, OutgoingSetup(channel: go.channel, exclusive: true,
                                                  calling: PartyNumber(digits: go.ani, plan: 0x21, presentation: 0x03),
                                                  called: dnis, bearer: p.alaw ? .speechALaw : .speechMuLaw)))
    }

    /// `555` and the serial in seven digits, as the benchmark's callers number their calls.
    static func ani(_ serial: Int) -> String {
        var n = serial % 10_000_000
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: 10)
        digits[0] = UInt8(ascii: "5"); digits[1] = UInt8(ascii: "5"); digits[2] = UInt8(ascii: "5")
        var i = 9
        while n > 0 { digits[i] = UInt8(ascii: "0") + UInt8(n % 10); n /= 10; i -= 1 }
        return String(decoding: digits, as: UTF8.self)
    }

    /// A D-channel event of `port`, on the simulator's D-channel thread: true when it was one of the load's calls.
    func handle(port name: String, _ event: SignallingEvent) -> Bool {
        guard let port = index[name] else { return false }
        if case .incoming(let ref, let setup) = event {
            guard agentPorts.contains(port) else { return false }
            agentIncoming(port, ref, setup)
            return true
        }
        guard let ref = event.callRef else { return false }
        let key = Key(port: port, ref: ref)
        let now = ContinuousClock.now
        enum Next { case nothing, hangUp, placeNext(Int) }
        let next = state.withLock { s -> Next? in
            if s.answered[key] != nil {
                if case .released = event, let channel = s.answered.removeValue(forKey: key) {
                    s.busy[port].remove(channel)
                }
                return .nothing
            }
            guard var call = s.placed[key] else { return nil }
            switch event {
            case .connected:
                call.connected = true
                if call.measured { s.tally.latencies.append(now - call.sent) }
                if call.cause == nil {
                    call.clearedByCaller = true
                    s.placed[key] = call
                    return .hangUp
                }
            case .disconnected(_, let cause):
                if call.cause == nil && !call.clearedByCaller { call.cause = cause }
            case .released(_, let cause):
                s.placed[key] = nil
                s.busy[port].remove(call.channel)
                if call.cause == nil && !call.clearedByCaller { call.cause = cause }
                if call.measured {
                    s.tally.placed += 1
                    if !call.connected {
                        s.tally.fail("\(call.ani): not answered (cause \(call.cause.map { "\($0)" } ?? "-"))")
                    } else {
                        s.tally.completed += 1
                    }
                }
                return .placeNext(call.slot)
            default:
                break
            }
            s.placed[key] = call
            return .nothing
        }
        switch next {
        case nil: return false
        case .hangUp: ports[port].dchannel.send(.hangup(ref, .normalClearing))
        case .placeNext(let slot): placeNext(slot: slot)
        case .nothing: break
        }
        return true
    }

    // MARK: Agents

    private func agentIncoming(_ port: Int, _ ref: CallRef, _ setup: IncomingSetup) {
        let dchannel = ports[port].dchannel
        let channel = setup.channel ?? 0
        let taken = state.withLock { s -> Bool in
            guard setup.channel != nil, !s.busy[port].contains(channel) else { return false }
            s.busy[port].insert(channel)
            s.answered[Key(port: port, ref: ref)] = channel
            return true
        }
        dchannel.send(.proceeding(ref, channel: channel))
        guard taken else {
            dchannel.send(.hangup(ref, .requestedChannelUnavailable))
            return
        }
        dchannel.send(.alerting(ref, channel: channel))
        dchannel.send(.answer(ref, channel: channel))
    }
}

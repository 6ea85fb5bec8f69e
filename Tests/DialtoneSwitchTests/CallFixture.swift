// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneSwitch
import DialtoneSignalling
import Foundation

/// A call driven by hand in virtual time: `now` only moves when a test says so,
/// and timers fire only when a test fires them.
struct CallFixture {
    var call: Call
    var now = Date(timeIntervalSince1970: 1_000_000)
    /// Every action the call returned, in order.
    var log: [Call.Action] = []
    /// Timers the call armed, newest last.
    var timers: [Call.Timer] { log.compactMap { if case .startTimer(let t, _) = $0 { t } else { nil } } }
    var nextRef: UInt64 = 100

    init(dnis: String = "2001", complete: Bool = true, channel: Int = 1) {
        let setup = IncomingSetup(calling: PartyNumber(digits: "5551234"), called: dnis, channel: channel, complete: complete)
        call = Call(id: "c1", inbound: CallRef(rawValue: 1), span: 0, setup: setup, now: now)
    }

    @discardableResult
    mutating func run(_ body: (inout Call, Date) -> [Call.Action]) -> [Call.Action] {
        let actions = body(&call, now)
        log += actions
        return actions
    }

    @discardableResult
    mutating func command(_ body: (inout Call, Date) -> Result<[Call.Action], CallControlError>) throws -> [Call.Action] {
        let actions = try body(&call, now).get()
        log += actions
        return actions
    }

    mutating func advance(_ seconds: Double) { now += seconds }

    /// Places a leg as the switch would (span 1, channel `channel`).
    @discardableResult
    mutating func dial(_ number: String, purpose: Call.Purpose, role: CallLeg.Role = .outbound, channel: Int = 1,
                       timeout: Double = 30) -> Int {
        nextRef += 1
        let ref = CallRef(rawValue: nextRef), id = call.nextLegID
        run { c, now in
            c.dial(span: 1, ref: ref, channel: channel, number: number, role: role,
                   setup: OutgoingSetup(channel: channel, calling: c.ani, called: number, bearer: .speechALaw),
                   purpose: purpose, answerTimeout: timeout, spanName: "b", now: now)
        }
        return id
    }

    /// Leg 1 proceeds, then a destination leg is placed and answers: a two-party call (1, 2).
    mutating func connected() {
        run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        let leg = dial("3001", purpose: .destination(for: 1))
        run { c, now in c.legAlerting(leg, now: now) }
        run { c, now in c.legConnected(leg, now: now) }
    }

    mutating func answer(_ leg: Int) { run { c, now in c.legConnected(leg, now: now) } }

    /// Event types in the order the call emitted them.
    var eventTypes: [SwitchEvent.EventType] { log.compactMap { if case .event(let e) = $0 { e.type } else { nil } } }

    func signals(_ f: (SignallingCommand) -> Bool) -> [SignallingCommand] {
        log.compactMap { if case .signal(_, let c) = $0, f(c) { c } else { nil } }
    }

    /// The media bridges currently up: pairs of legs.
    var bridged: Set<[Int]> {
        var up = Set<[Int]>()
        for a in log {
            if case .bridge(let b) = a { up.insert([b.a, b.b].sorted()) }
            if case .unbridge(let b) = a { up.remove([b.a, b.b].sorted()) }
        }
        return up
    }

    /// Legs hearing the hold audio now.
    var onHold: Set<Int> {
        var held = Set<Int>()
        for a in log {
            if case .hold(let l) = a { held.insert(l) }
            if case .unhold(let l) = a { held.remove(l) }
        }
        return held
    }

    var inConference: Set<Int> {
        var m = Set<Int>()
        for a in log {
            if case .joinConference(let l) = a { m.insert(l) }
            if case .leaveConference(let l) = a { m.remove(l) }
        }
        return m
    }
}


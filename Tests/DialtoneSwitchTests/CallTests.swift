// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneSwitch
import DialtoneSignalling
import Foundation
import Testing

/// The call state machine in virtual time: nothing sleeps, timers fire when the test fires them.
@Suite struct CallTests {
    // MARK: The two defects of the old switch

    /// Overlap receiving: every digit re-arms the inter-digit timer. The old
    /// switch armed it once per digit batch without a token, so the first
    /// timer routed a partial number 5 s after the first digits.
    @Test func interdigitTimerIsRearmedByEachDigit() {
        var f = CallFixture(dnis: "2", complete: false)
        f.run { c, now in c.proceed(overlap: true, interdigit: 5, now: now) }
        #expect(f.call.inbound?.state == .overlapReceiving)
        let first = f.timers.last!
        f.advance(3)
        f.run { c, _ in c.digits("0", routeNow: false, interdigit: 5) }
        let second = f.timers.last!
        #expect(second != first)
        f.advance(2)  // 5 s after the first digit, 2 s after the last
        #expect(f.run { c, now in c.timerFired(first, now: now) }.isEmpty, "a stale inter-digit timer must not route")
        #expect(f.call.state == .collecting)
        f.run { c, _ in c.digits("0", routeNow: false, interdigit: 5) }
        #expect(f.run { c, now in c.timerFired(second, now: now) }.isEmpty)
        f.advance(5)
        let third = f.timers.last!
        #expect(f.run { c, now in c.timerFired(third, now: now) } == [.route("200")])
    }

    @Test func aCompleteNumberRoutesAtOnceAndDisarmsTheTimer() {
        var f = CallFixture(dnis: "20", complete: false)
        f.run { c, now in c.proceed(overlap: true, interdigit: 5, now: now) }
        let t = f.timers.last!
        #expect(f.run { c, _ in c.digits("01", routeNow: true, interdigit: 5) } == [.route("2001")])
        #expect(f.run { c, now in c.timerFired(t, now: now) }.isEmpty)
    }

    /// The answer timer belongs to its leg: the timer of a transfer that
    /// failed cannot clear a later transfer of the same call (the old
    /// switch's answer timer carried no token).
    @Test func aFailedTransfersAnswerTimerCannotClearALaterTransfer() {
        var f = CallFixture()
        f.run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        f.run { c, now in c.answerLocally(now: now) }  // an IVR has the caller
        f.run { c, now in c.leaveApplication(now: now) }
        let first = f.dial("3001", purpose: .destination(for: 1))
        let firstTimer = f.timers.last!
        f.run { c, now in c.returnToApplication(failed: first, cause: .userBusy, farEndCleared: true, now: now) }
        #expect(f.call.state == .application(leg: 1))
        f.run { c, now in c.leaveApplication(now: now) }
        let second = f.dial("3002", purpose: .destination(for: 1))
        f.run { c, now in c.legAlerting(second, now: now) }
        f.advance(30)
        #expect(f.run { c, now in c.timerFired(firstTimer, now: now) }.isEmpty, "the first transfer's timer must not act")
        #expect(f.call.leg(second)?.isUp == true)
        f.answer(second)
        #expect(f.call.state == .active(1, second))
    }

    @Test func anUnansweredLegIsClearedByItsAnswerTimer() {
        var f = CallFixture()
        f.run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        let leg = f.dial("3001", purpose: .destination(for: 1), timeout: 20)
        f.run { c, now in c.legAlerting(leg, now: now) }
        f.advance(20)
        let timer = f.timers.last!
        let actions = f.run { c, now in c.timerFired(timer, now: now) }
        #expect(actions.contains(.signal(span: 1, .hangup(CallRef(rawValue: 101), .normalClearing))))
        #expect(actions.contains(.signal(span: 0, .hangup(CallRef(rawValue: 1), .noAnswer))))
        #expect(f.call.state == .clearing)
    }

    /// A call cleared before its CALL PROCEEDING (its start not yet durable,
    /// a shutdown) gets PROCEEDING first: libpri sends nothing for a hangup
    /// before it, and the caller would hang until its own timers.
    @Test func clearingBeforeProceedingSendsProceedingFirst() {
        var f = CallFixture()
        let a = f.run { c, now in c.clear(cause: .temporaryFailure, reason: "shutdown", now: now) }
        #expect(a.prefix(3).contains(.signal(span: 0, .proceeding(CallRef(rawValue: 1), channel: 1))))
        let p = a.firstIndex(of: .signal(span: 0, .proceeding(CallRef(rawValue: 1), channel: 1)))!
        let h = a.firstIndex(of: .signal(span: 0, .hangup(CallRef(rawValue: 1), .temporaryFailure)))!
        #expect(p < h)
        var g = CallFixture()
        g.run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        let b = g.run { c, now in c.clear(cause: .normalClearing, reason: "x", now: now) }
        #expect(b.filter { if case .signal(_, .proceeding) = $0 { true } else { false } }.isEmpty, "no second PROCEEDING")
    }

    // MARK: Basic call

    @Test func aRoutedCallRingsThenIsBridged() {
        var f = CallFixture()
        f.connected()
        #expect(f.call.state == .active(1, 2))
        #expect(f.bridged == [[1, 2]])
        #expect(f.signals { if case .alerting = $0 { true } else { false } }.count == 1)
        #expect(f.signals { if case .answer = $0 { true } else { false } }.count == 1)
        #expect(f.log.contains(.tone(leg: 1, .ringback)))
        #expect(f.eventTypes == [.legCreated, .legAlerting, .legAnswered, .legAnswered, .bridged])
    }

    @Test func callerHangsUpThenBothReleaseAndTheCallEnds() {
        var f = CallFixture()
        f.connected()
        let a = f.run { c, now in c.legDisconnected(1, cause: .normalClearing, now: now) }
        #expect(a.contains(.signal(span: 1, .hangup(CallRef(rawValue: 101), .normalClearing))))
        #expect(f.bridged.isEmpty)
        f.run { c, now in c.legReleased(1, cause: .normalClearing, now: now) }
        #expect(!f.call.isFinished)
        let last = f.run { c, now in c.legReleased(2, cause: .normalClearing, now: now) }
        #expect(last.last == .finished)
        #expect(f.call.isFinished)
        #expect(f.call.disposition == .answered)
        #expect(f.eventTypes.suffix(3) == [.legEnded, .legEnded, .callEnded] || f.eventTypes.last == .callEnded)
    }

    @Test func busyDestinationPassesItsCauseToTheCaller() {
        var f = CallFixture()
        f.run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        let leg = f.dial("3001", purpose: .destination(for: 1))
        let a = f.run { c, now in c.legDisconnected(leg, cause: .userBusy, now: now) }
        #expect(a.contains(.signal(span: 0, .hangup(CallRef(rawValue: 1), .userBusy))))
        f.run { c, now in c.legReleased(leg, cause: .userBusy, now: now) }
        f.run { c, now in c.legReleased(1, cause: .userBusy, now: now) }
        #expect(f.call.disposition == .busy)
    }

    @Test func callerAbandonsWhileRinging() {
        var f = CallFixture()
        f.run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        let leg = f.dial("3001", purpose: .destination(for: 1))
        f.run { c, now in c.legAlerting(leg, now: now) }
        let a = f.run { c, now in c.legDisconnected(1, cause: .normalClearing, now: now) }
        #expect(a.contains(.signal(span: 1, .hangup(CallRef(rawValue: 101), .normalClearing))))
        #expect(a.contains(.stopTone(leg: 1)))
        f.run { c, now in c.legReleased(1, cause: .normalClearing, now: now) }
        f.run { c, now in c.legReleased(leg, cause: .normalClearing, now: now) }
        #expect(f.call.disposition == .cancelled)
    }

    // MARK: Hold, transfer, conference

    @Test func holdAndRetrieve() throws {
        var f = CallFixture()
        f.connected()
        try f.command { c, now in c.hold(1, now: now) }
        #expect(f.call.state == .held(held: 1, holder: 2))
        #expect(f.bridged.isEmpty)
        #expect(f.onHold == [1])
        #expect(throws: CallControlError.self) { try f.command { c, now in c.hold(1, now: now) } }
        try f.command { c, now in c.retrieve(nil, now: now) }
        #expect(f.call.state == .active(1, 2))
        #expect(f.bridged == [[1, 2]])
        #expect(f.onHold.isEmpty)
        #expect(throws: CallControlError.self) { try f.command { c, now in c.retrieve(nil, now: now) } }
    }

    @Test func aRefusedCommandChangesNothing() {
        var f = CallFixture()
        f.run { c, now in c.proceed(overlap: false, interdigit: 5, now: now) }
        let before = f.call.state
        let history = f.call.history.count
        #expect(throws: CallControlError.wrongState(call: "c1", state: before, command: "hold")) {
            try f.command { c, now in c.hold(nil, now: now) }
        }
        #expect(throws: CallControlError.self) { try f.command { c, now in c.completeTransfer(now: now) } }
        #expect(throws: CallControlError.self) { try f.command { c, now in c.conferenceDrop(2, cause: .normalClearing, now: now) } }
        #expect(f.call.state == before)
        #expect(f.call.history.count == history)
    }

    @Test func blindTransfer() {
        var f = CallFixture()
        f.connected()
        let (stays, goes) = try! f.call.checkBlindTransfer(nil).get()
        #expect(stays == 1 && goes == 2)
        let a = f.run { c, now in c.startBlindTransfer(stays: stays, goes: goes, now: now) }
        #expect(a.contains(.signal(span: 1, .hangup(CallRef(rawValue: 101), .normalClearing))))
        let z = f.dial("4001", purpose: .blindTransfer(for: 1), role: .consultation, channel: 2)
        f.run { c, now in c.legAlerting(z, now: now) }
        #expect(f.log.last(where: { if case .tone = $0 { true } else { false } }) == .tone(leg: 1, .ringback))
        // The transferred-away leg's release must not end the call.
        f.run { c, now in c.legReleased(2, cause: .normalClearing, now: now) }
        #expect(!f.call.isFinished)
        f.answer(z)
        #expect(f.call.state == .active(1, z))
        #expect(f.bridged == [[1, z]])
        #expect(f.eventTypes.contains(.transferred))
    }

    @Test func attendedTransferCompleted() throws {
        var f = CallFixture()
        f.connected()
        let (held, holder) = try f.call.checkConsult(nil).get()
        f.run { c, now in c.startConsult(held: held, holder: holder, now: now) }
        let z = f.dial("4001", purpose: .consult(holder: holder, held: held), role: .consultation, channel: 2)
        #expect(f.call.state == .consulting(held: 1, holder: 2, consult: z))
        #expect(f.onHold == [1])
        f.run { c, now in c.legAlerting(z, now: now) }
        #expect(f.log.last(where: { if case .tone = $0 { true } else { false } }) == .tone(leg: 2, .ringback))
        f.answer(z)
        #expect(f.bridged == [[2, z]])
        try f.command { c, now in c.completeTransfer(now: now) }
        #expect(f.call.state == .active(1, z))
        #expect(f.bridged == [[1, z]])
        #expect(f.onHold.isEmpty)
        #expect(f.call.leg(2)?.state == .disconnectRequest)
        f.run { c, now in c.legReleased(2, cause: .normalClearing, now: now) }
        #expect(f.call.state == .active(1, z))
    }

    @Test func attendedTransferCancelledBack() throws {
        var f = CallFixture()
        f.connected()
        f.run { c, now in c.startConsult(held: 1, holder: 2, now: now) }
        let z = f.dial("4001", purpose: .consult(holder: 2, held: 1), role: .consultation, channel: 2)
        f.answer(z)
        try f.command { c, now in c.cancelTransfer(now: now) }
        #expect(f.call.state == .active(1, 2))
        #expect(f.bridged == [[1, 2]])
        #expect(f.onHold.isEmpty)
        f.run { c, now in c.legReleased(z, cause: .normalClearing, now: now) }
        #expect(f.call.state == .active(1, 2))
    }

    @Test func consultedPartyBusyLeavesTheCallOnHold() {
        var f = CallFixture()
        f.connected()
        f.run { c, now in c.startConsult(held: 1, holder: 2, now: now) }
        let z = f.dial("4001", purpose: .consult(holder: 2, held: 1), role: .consultation, channel: 2)
        f.run { c, now in c.legDisconnected(z, cause: .userBusy, now: now) }
        #expect(f.call.state == .held(held: 1, holder: 2))
        #expect(f.call.cause == nil, "a failed consultation is not the call's cause")
    }

    @Test func holderHangingUpDuringConsultationCompletesTheTransfer() {
        var f = CallFixture()
        f.connected()
        f.run { c, now in c.startConsult(held: 1, holder: 2, now: now) }
        let z = f.dial("4001", purpose: .consult(holder: 2, held: 1), role: .consultation, channel: 2)
        f.answer(z)
        f.run { c, now in c.legDisconnected(2, cause: .normalClearing, now: now) }
        #expect(f.call.state == .active(1, z))
        #expect(f.bridged == [[1, z]])
    }

    @Test func threeWayConferenceThenOneDrops() throws {
        var f = CallFixture()
        f.connected()
        try f.call.checkConferenceAdd().get()
        let z = f.dial("4001", purpose: .conference, role: .consultation, channel: 2)
        #expect(f.call.state == .active(1, 2), "the two parties talk while the third is called")
        f.answer(z)
        #expect(f.call.state == .conference)
        #expect(f.bridged.isEmpty)
        #expect(f.inConference == [1, 2, z])
        try f.command { c, now in c.conferenceDrop(z, cause: .normalClearing, now: now) }
        #expect(f.inConference == [1, 2])
        #expect(f.call.state == .conference)
        #expect(f.call.leg(1)?.isUp == true && f.call.leg(2)?.isUp == true)
        f.run { c, now in c.legDisconnected(2, cause: .normalClearing, now: now) }
        #expect(f.call.leg(1)?.state == .disconnectRequest, "the last party alone is cleared")
    }

    @Test func attachedDataStaysThroughATransfer() {
        var f = CallFixture()
        f.connected()
        f.run { c, _ in c.attach("account", "778812") }
        f.run { c, now in c.startBlindTransfer(stays: 1, goes: 2, now: now) }
        let z = f.dial("4001", purpose: .blindTransfer(for: 1), role: .consultation, channel: 2)
        f.answer(z)
        #expect(f.call.variables["account"] == "778812")
        #expect(f.eventTypes.contains(.dataAttached))
    }

    @Test func historyRecordsFromAndTo() {
        var f = CallFixture()
        f.connected()
        #expect(f.call.history.map(\.to) == [.active(1, 2)])
        #expect(f.call.history.first?.from == .routing)
        #expect(f.call.leg(2)?.history.map(\.to.rawValue) == ["U4", "U10"])
    }
}

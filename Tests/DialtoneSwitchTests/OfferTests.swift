// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneSwitch
import DialtoneSignalling
import Foundation
import Testing

/// Offers: a queue's caller, alone, offered to stations. A failed offer
/// leaves the caller alone (the queue goes on); the first answered of
/// several wins and the others are cleared.
@Suite struct OfferTests {
    /// A caller presented to an application and answered: alone on leg 1.
    func waitingCaller() throws -> CallFixture {
        var f = CallFixture()
        f.run { c, now in c.present(now: now) }
        try f.command { c, now in c.answerPresented(now: now) }
        #expect(f.call.state == .alone(leg: 1))
        return f
    }

    @Test func anAnsweredOfferBridgesTheCallerAndStopsTheQueueAudio() throws {
        var f = try waitingCaller()
        let leg = f.dial("2001", purpose: .offer(for: 1))
        #expect(f.call.state == .alone(leg: 1), "the caller waits alone while the station rings")
        f.run { c, now in c.legAlerting(leg, now: now) }
        #expect(!f.log.contains { if case .tone(1, _) = $0 { true } else { false } }, "no ringback over the queue's audio")
        f.answer(leg)
        #expect(f.call.state == .active(1, leg))
        #expect(f.bridged == [[1, leg]])
        #expect(f.log.contains { $0 == .unhold(leg: 1) })
    }

    @Test func aFailedOfferLeavesTheCallerAloneAndTheCallUp() throws {
        var f = try waitingCaller()
        let leg = f.dial("2001", purpose: .offer(for: 1))
        f.run { c, now in c.legDisconnected(leg, cause: .userBusy, now: now) }
        f.run { c, now in c.legReleased(leg, cause: .userBusy, now: now) }
        #expect(f.call.state == .alone(leg: 1))
        #expect(f.call.leg(1)?.isUp == true)
        #expect(f.call.cause == nil, "a busy station is not the call's cause")
        // The queue offers it again elsewhere.
        let next = f.dial("2002", purpose: .offer(for: 1))
        f.answer(next)
        #expect(f.call.state == .active(1, next))
    }

    @Test func anUnansweredOfferIsClearedByItsTimerAndTheCallerStays() throws {
        var f = try waitingCaller()
        let leg = f.dial("2001", purpose: .offer(for: 1), timeout: 15)
        let timer = try #require(f.timers.last)
        f.advance(15)
        f.run { c, now in c.timerFired(timer, now: now) }
        #expect(f.call.leg(leg)?.isUp == false)
        #expect(f.call.state == .alone(leg: 1))
    }

    @Test func theFirstOfSeveralOffersAnsweredWinsAndTheOthersAreCleared() throws {
        var f = try waitingCaller()
        let a = f.dial("2001", purpose: .offer(for: 1), channel: 1)
        let b = f.dial("2002", purpose: .offer(for: 1), channel: 2)
        let c = f.dial("2003", purpose: .offer(for: 1), channel: 3)
        f.answer(b)
        #expect(f.call.state == .active(1, b))
        #expect(f.call.leg(a)?.isUp == false)
        #expect(f.call.leg(c)?.isUp == false)
        #expect(f.bridged == [[1, b]])
        // A late CONNECT from a loser changes nothing.
        f.answer(a)
        #expect(f.call.state == .active(1, b))
        #expect(f.bridged == [[1, b]])
    }

    @Test func theCallerHangingUpClearsEveryRingingOffer() throws {
        var f = try waitingCaller()
        let a = f.dial("2001", purpose: .offer(for: 1), channel: 1)
        let b = f.dial("2002", purpose: .offer(for: 1), channel: 2)
        f.run { c, now in c.legDisconnected(1, cause: .normalClearing, now: now) }
        #expect(f.call.leg(a)?.isUp == false)
        #expect(f.call.leg(b)?.isUp == false)
        #expect(f.call.state == .clearing || f.call.state == .done)
    }

    @Test func aCallAnsweredBeforeIsHandedOnWithoutASecondConnect() throws {
        var f = CallFixture()
        f.run { c, now in c.answerLocally(now: now) }
        let connects = f.signals { if case .answer = $0 { true } else { false } }.count
        f.run { c, now in c.present(now: now) }
        try f.command { c, now in c.answerPresented(now: now) }
        #expect(f.call.state == .alone(leg: 1))
        #expect(f.signals { if case .answer = $0 { true } else { false } }.count == connects)
        #expect(f.signals { if case .alerting = $0 { true } else { false } }.isEmpty, "no ALERTING after CONNECT")
    }
}

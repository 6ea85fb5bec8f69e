// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// Priority, business routing, wrap-up, misses and pending requests.
@Suite struct BehaviourTests {
    @Test func gradeACustomerBehindTenOthersGoesFirst() {
        var h = Harness(queues: [QueueSettings(name: "q")], agents: agentsNamed(1))
        let (busy, _) = h.call()
        h.send(.offerAnswered(busy, agent: "a1"))
        for _ in 0..<10 { h.call(); h.advance(1) }
        let (vip, _) = h.call(priority: 10)
        #expect(h.acd.queueStatus("q", now: h.now)!.items.first?.id == vip)
        let out = h.send(.workEnded(busy, agent: "a1", by: .caller))
        #expect(offers(out).map(\.item) == [vip])
    }

    @Test func assignedAgentFirstThenTheWholeQueue() {
        var q = QueueSettings(name: "q", members: ["a1", "a2"])
        q.assignedWait = 20
        var h = Harness(queues: [q], agents: agentsNamed(2))
        // Assigned agent free: it gets the call although a1 is first in line.
        let (c1, o1) = h.call(assigned: ["a2"])
        #expect(offers(o1).map(\.agent) == ["a2"])
        h.send(.offerAnswered(c1, agent: "a2"))
        // Assigned agent busy: a1 stays free for assignedWait, then takes it.
        let (c2, o2) = h.call(assigned: ["a2"])
        #expect(offers(o2).isEmpty)
        #expect(offers(h.advance(19.5)).isEmpty)
        let later = h.advance(1)
        #expect(offers(later).map { [$0.item, $0.agent] } == [[c2, "a1"]])
    }

    @Test func assignedAgentFreedWithinTheWaitTakesItsCustomer() {
        var q = QueueSettings(name: "q", members: ["a1", "a2"])
        q.assignedWait = 20
        var h = Harness(queues: [q], agents: agentsNamed(2))
        let (c1, _) = h.call(assigned: ["a2"])
        h.send(.offerAnswered(c1, agent: "a2"))
        let (c2, _) = h.call(assigned: ["a2"])
        h.advance(5)
        let out = h.send(.workEnded(c1, agent: "a2", by: .caller))
        #expect(offers(out).map { [$0.item, $0.agent] } == [[c2, "a2"]])
    }

    @Test func wrapUpHoldsTheAgentThenEnds() {
        var h = Harness(queues: [QueueSettings(name: "q", wrapUp: 30)], agents: agentsNamed(1))
        let (c1, _) = h.call()
        h.send(.offerAnswered(c1, agent: "a1"))
        h.advance(60)
        h.send(.workEnded(c1, agent: "a1", by: .agent))
        guard case .wrapUp = h.state("a1") else { Issue.record("not in wrap-up: \(h.state("a1"))"); return }
        let (c2, o2) = h.call()
        #expect(offers(o2).isEmpty)
        let done = h.advance(30)
        #expect(offers(done).map(\.item) == [c2])
        #expect(h.kinds(for: c1) == [.enterQueue, .connect, .completeAgent])
        // endWrapUp ends it early.
        h.send(.offerAnswered(c2, agent: "a1"))
        h.send(.workEnded(c2, agent: "a1", by: .caller))
        h.send(.agent("a1", .endWrapUp))
        #expect(h.state("a1") == .ready)
    }

    @Test func offerTimeoutGoesToTheNextAgentAndAutoPausesAfterMisses() {
        var q = QueueSettings(name: "q", strategy: .linear, members: ["a1", "a2"], offerTimeout: 10)
        q.autoPauseAfterMisses = 2
        q.retryDelay = 5
        var h = Harness(queues: [q], agents: agentsNamed(2))
        let (c1, o1) = h.call()
        #expect(offers(o1).map(\.agent) == ["a1"])
        let t1 = h.advance(10)
        #expect(withdrawals(t1).map(\.agent) == ["a1"])
        #expect(offers(t1).map(\.agent) == ["a2"])     // next agent, a1 rests
        #expect(h.acd.queueStatus("q", now: h.now)!.items[0].history.map(\.to) == [.offered, .waiting, .offered])
        h.send(.offerFailed(c1, agent: "a2", reason: .busy))
        let t2 = h.advance(5)                              // a1's rest ends: offered again
        #expect(offers(t2).map(\.agent).contains("a1"))
        h.advance(10)                                      // second miss for a1
        #expect(h.state("a1") == .paused(reason: "auto-pause: 2 missed offers"))
        #expect(h.events.filter { $0.kind == .ringNoAnswer }.count >= 3)
    }

    @Test func pendingPauseAndLogoutApplyAfterCallAndWrapUp() {
        var h = Harness(queues: [QueueSettings(name: "q", wrapUp: 10)], agents: agentsNamed(2))
        let (c1, o1) = h.call()
        let (c2, o2) = h.call()
        let a = offers(o1)[0].agent, b = offers(o2)[0].agent
        h.send(.offerAnswered(c1, agent: a))
        h.send(.offerAnswered(c2, agent: b))
        h.send(.agent(a, .pause(reason: "lunch")))              // busy: becomes pending
        h.send(.agent(b, .logoutAfterCall))
        #expect(h.acd.agentStatus(a, now: h.now)!.pendingPause == "lunch")
        h.send(.workEnded(c1, agent: a, by: .caller))
        h.send(.workEnded(c2, agent: b, by: .caller))
        guard case .wrapUp = h.state(a) else { Issue.record("wrap-up expected"); return }
        h.advance(10)
        #expect(h.state(a) == .paused(reason: "lunch"))
        #expect(h.state(b) == .loggedOut)
        h.send(.agent(a, .unpause))
        #expect(h.state(a) == .ready)
    }

    @Test func pausingAnOfferedAgentWithdrawsAndReoffers() {
        var h = Harness(queues: [QueueSettings(name: "q", strategy: .linear, members: ["a1", "a2"])], agents: agentsNamed(2))
        let (c1, o1) = h.call()
        #expect(offers(o1).map(\.agent) == ["a1"])
        let out = h.send(.agent("a1", .pause(reason: "break")))
        #expect(withdrawals(out).map(\.agent) == ["a1"])
        #expect(offers(out).map { [$0.item, $0.agent] } == [[c1, "a2"]])
    }

    @Test func announcementsGivePositionAndExpectedWait() {
        var q = QueueSettings(name: "q", wrapUp: 0)
        q.announceInterval = 30
        var h = Harness(queues: [q], agents: agentsNamed(1))
        let (c0, _) = h.call()
        h.send(.offerAnswered(c0, agent: "a1"))
        h.advance(120)
        h.send(.workEnded(c0, agent: "a1", by: .caller))       // average handle 120 s
        let (c1, _) = h.call()
        h.send(.offerAnswered(c1, agent: "a1"))
        let (c2, _) = h.call()
        let (c3, _) = h.call()
        let out = h.advance(30)
        let ann = out.compactMap { a -> (String, Int, Double?)? in
            if case .announce(let i, let p, let w) = a { return (i, p, w) } else { return nil }
        }
        #expect(ann.map(\.0) == [c2, c3])
        #expect(ann.map(\.1) == [1, 2])
        #expect(ann.map(\.2) == [120, 240])
    }

    @Test func lateAnswerAfterTimeoutIsRefused() {
        var h = Harness(queues: [QueueSettings(name: "q", offerTimeout: 5)], agents: agentsNamed(1))
        let (c1, _) = h.call()
        h.advance(5)
        let out = h.send(.offerAnswered(c1, agent: "a1"))
        #expect(withdrawals(out).map(\.item) == [c1])
        #expect(h.state("a1") == .ready)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// Overflow, callbacks, messages, snapshot and restore.
@Suite struct WorkItemTests {
    func overflows(_ actions: [ACDAction]) -> [(String, Overflow)] {
        actions.compactMap { if case .overflow(let i, let o) = $0 { return (i, o) } else { return nil } }
    }

    @Test func maxWaitExitsWithTimeoutThroughOverflow() {
        var h = Harness(queues: [QueueSettings(name: "q", maxWait: 60, overflow: .number("0800123"))], agents: agentsNamed(1))
        let (busy, _) = h.call()
        h.send(.offerAnswered(busy, agent: "a1"))
        let (c, _) = h.call()
        let out = h.advance(60)
        #expect(overflows(out).map(\.0) == [c])
        #expect(overflows(out).map(\.1) == [.number("0800123")])
        #expect(h.kinds(for: c) == [.enterQueue, .exitWithTimeout, .overflow])
        #expect(h.events.last?.data.first == "number:0800123")
    }

    @Test func maxLengthExitsFull() {
        var h = Harness(queues: [QueueSettings(name: "q", maxLength: 2, overflow: .message)], agents: agentsNamed(1))
        let (busy, _) = h.call()
        h.send(.offerAnswered(busy, agent: "a1"))
        h.call(); h.call()
        let (c, out) = h.call()
        #expect(overflows(out).map(\.1) == [.message])
        #expect(h.kinds(for: c) == [.enterQueue, .exitFull, .overflow])
    }

    @Test func emptyQueueExitsOnArrivalAndWhenTheLastAgentLeaves() {
        var h = Harness(queues: [QueueSettings(name: "q", overflow: .callback)], agents: agentsNamed(1), login: false)
        let (c1, o1) = h.call()
        #expect(overflows(o1).map(\.1) == [.callback])
        #expect(h.kinds(for: c1) == [.enterQueue, .exitEmpty, .overflow])
        h.send(.agent("a1", .login(station: .line)))
        h.send(.agent("a1", .pause(reason: "meeting")))
        let (c2, _) = h.call()
        let out = h.send(.agent("a1", .logout))
        #expect(overflows(out).map(\.0) == [c2])
        #expect(h.kinds(for: c2) == [.enterQueue, .exitEmpty, .overflow])
    }

    @Test func anExitThatLogsOutTheLastAgentEmptiesTheQueueAfterwards() {
        // a1 rings for c1 and asked to log out after this call; c1 times out: the offer is withdrawn,
        // a1 logs out, the queue is empty and c2 leaves too — each exactly once, a1 stays logged out.
        var h = Harness(queues: [QueueSettings(name: "q", offerTimeout: 1000, maxWait: 30, overflow: .hangup)], agents: agentsNamed(1))
        let (c1, o1) = h.call()
        #expect(offers(o1).map(\.agent) == ["a1"])
        h.advance(10)
        let (c2, _) = h.call()
        h.send(.agent("a1", .logoutAfterCall))
        let out = h.advance(20)
        #expect(withdrawals(out).map(\.item) == [c1])
        #expect(overflows(out).map(\.0) == [c1, c2])
        #expect(h.state("a1") == .loggedOut)
        #expect(h.kinds(for: c1) == [.enterQueue, .exitWithTimeout, .overflow])
        #expect(h.kinds(for: c2) == [.enterQueue, .exitEmpty, .overflow])
    }

    @Test func overflowIntoAnotherQueueMovesTheItem() {
        let agents = [AgentSettings(id: "a1", skills: ["q": 50]), AgentSettings(id: "b1", skills: ["backup": 50])]
        var h = Harness(queues: [QueueSettings(name: "q", maxWait: 30, overflow: .queue("backup")), QueueSettings(name: "backup")],
                        agents: agents)
        let (busy, _) = h.call()
        h.send(.offerAnswered(busy, agent: "a1"))
        let (c, _) = h.call()
        let out = h.advance(30)
        #expect(offers(out).map { [$0.item, $0.agent] } == [[c, "b1"]])
        #expect(h.events.filter { $0.callID == c }.map { "\($0.queue):\($0.kind.rawValue)" }
                == ["q:ENTERQUEUE", "q:EXITWITHTIMEOUT", "q:OVERFLOW", "backup:ENTERQUEUE"])
    }

    @Test func callbackKeepsItsPlaceRetriesAndExpires() {
        var q = QueueSettings(name: "q")
        q.callbackRetries = 1
        q.callbackRetryInterval = 120
        var h = Harness(queues: [q], agents: agentsNamed(1))
        let (busy, _) = h.call()
        h.send(.offerAnswered(busy, agent: "a1"))
        let (cb, _) = h.call()
        h.advance(10)
        let (later, _) = h.call()
        h.send(.convertToCallback(cb, number: "0612345678", at: nil))
        h.send(.callerLeft(cb))                                   // the caller hangs up after pressing the key: ignored
        let status = h.acd.queueStatus("q", now: h.now)!
        #expect(status.items.map(\.id) == [cb, later])
        #expect(status.callbacks == 1)
        // Its turn: the agent is offered a callback.
        let o1 = h.send(.workEnded(busy, agent: "a1", by: .caller))
        #expect(offers(o1).map { [$0.item, $0.agent] } == [[cb, "a1"]])
        #expect(offers(o1).first?.kind == .callback)
        h.send(.offerAnswered(cb, agent: "a1"))
        #expect(h.state("a1") == .busy(item: cb))
        let r1 = h.send(.callbackResult(cb, answered: false))
        #expect(offers(r1).map(\.item) == [later])                // the agent takes the next item meanwhile
        h.send(.offerAnswered(later, agent: "a1"))
        h.advance(60)
        h.send(.workEnded(later, agent: "a1", by: .caller))
        let o2 = h.advance(60)                                    // retry due after 120 s
        #expect(offers(o2).map(\.item) == [cb])
        h.send(.offerAnswered(cb, agent: "a1"))
        let r2 = h.send(.callbackResult(cb, answered: false))
        #expect(r2.contains(.itemsChanged))
        #expect(h.kinds(for: cb) == [.enterQueue, .callbackRequested, .callbackAttempt, .callbackAttempt, .callbackExpired])
        #expect(h.acd.queueStatus("q", now: h.now)!.items.isEmpty)
    }

    @Test func callbackAtATimeOfDayWaitsThenConnects() {
        var h = Harness(queues: [QueueSettings(name: "q")], agents: agentsNamed(1))
        h.send(.agent("a1", .pause(reason: "x")))
        let (cb, _) = h.call()
        h.send(.convertToCallback(cb, number: "0612", at: h.now.addingTimeInterval(3600)))
        h.send(.agent("a1", .unpause))
        #expect(offers(h.advance(3599)).isEmpty)
        let due = h.advance(1)
        #expect(offers(due).map(\.item) == [cb])
        h.send(.offerAnswered(cb, agent: "a1"))
        h.send(.callbackResult(cb, answered: true))
        h.send(.workEnded(cb, agent: "a1", by: .agent))
        #expect(h.kinds(for: cb) == [.enterQueue, .callbackRequested, .callbackAttempt, .connect, .completeAgent])
    }

    @Test func messageWhileWaitingConnectsMidRecordingOrBecomesAWorkItem() {
        var h = Harness(queues: [QueueSettings(name: "q")], agents: agentsNamed(1))
        let (busy, _) = h.call()
        h.send(.offerAnswered(busy, agent: "a1"))
        let (m1, _) = h.call()
        let (m2, _) = h.call()
        h.send(.messageStarted(m1))
        #expect(h.acd.queueStatus("q", now: h.now)!.items.first?.recording == true)
        // An agent frees up while the caller records: the call is offered at once, as a call.
        let o = h.send(.workEnded(busy, agent: "a1", by: .caller))
        #expect(offers(o).map { [$0.item, "\($0.kind)"] } == [[m1, "call"]])
        h.send(.offerAnswered(m1, agent: "a1"))
        h.send(.messageLeft(m1, path: "/late.wav", seconds: 3))    // ignored: connected
        #expect(h.kinds(for: m1) == [.enterQueue, .connect])
        // The other caller leaves a message: a message work item keeping its place.
        h.send(.messageStarted(m2))
        let left = h.send(.messageLeft(m2, path: "/msg/m2.wav", seconds: 12.5))
        #expect(left.contains(.itemsChanged))
        h.send(.callerLeft(m2))                                     // ignored: the message stays
        let o2 = h.send(.workEnded(m1, agent: "a1", by: .caller))
        #expect(offers(o2).map { [$0.item, "\($0.kind)"] } == [[m2, "message"]])
        #expect(h.kinds(for: m2) == [.enterQueue, .message])
    }

    @Test func snapshotRestoresAgentsAndDurableItemsAndNothingStaysReserved() throws {
        let queues = [QueueSettings(name: "q", strategy: .linear, members: ["a1", "a2", "a3"], wrapUp: 30)]
        var h = Harness(queues: queues, agents: agentsNamed(3))
        let (c1, _) = h.call()                                    // offered to a1
        let (c2, _) = h.call()                                    // offered to a2
        h.send(.offerAnswered(c2, agent: "a2"))
        h.send(.agent("a2", .pauseAfterCall(reason: "coffee")))
        h.send(.agent("a3", .pause(reason: "training")))
        let (c3, _) = h.call()
        h.send(.convertToCallback(c3, number: "0699", at: nil))
        let data = try JSONEncoder().encode(h.acd.snapshot())
        let snap = try JSONDecoder().decode(ACDSnapshot.self, from: data)
        #expect(snap.items.map(\.item.id) == [c3])

        var acd = ACD(queues: queues, agents: agentsNamed(3), restoring: snap)
        #expect(acd.agentStatus("a1", now: h.now)!.state == .ready)         // was offered
        #expect(acd.agentStatus("a2", now: h.now)!.state == .paused(reason: "coffee"))  // was busy with a pending pause
        #expect(acd.agentStatus("a3", now: h.now)!.state == .paused(reason: "training"))
        #expect(acd.nextDeadline == .distantPast)
        let out = acd.handle(.tick, now: h.now)
        #expect(offers(out).map { [$0.item, $0.agent] } == [[c3, "a1"]])
        #expect(acd.checkInvariants().isEmpty)
        #expect(acd.queueStatus("q", now: h.now)!.items.map(\.id) == [c3])
        _ = c1
    }
}

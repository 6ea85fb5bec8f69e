// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// Distribution per strategy over 200 calls to five agents.
@Suite struct StrategyTests {
    /// Runs `calls` calls one after another (each answered by the offered agent, `talk(i)` seconds long,
    /// then a second of gap); returns calls and talk time per agent and the order of agents.
    func run(_ strategy: Strategy, calls: Int = 200, seed: UInt64 = 7, ringAllAnswerer: ((Int, [String]) -> String)? = nil,
             talk: (Int) -> Double = { _ in 60 }) -> (counts: [String: Int], talk: [String: Double], order: [String], offersPerCall: [Int]) {
        var h = Harness(queues: [QueueSettings(name: "q", strategy: strategy, members: ["a1", "a2", "a3", "a4", "a5"])],
                        agents: agentsNamed(5), seed: seed)
        var counts: [String: Int] = [:], talkTime: [String: Double] = [:], order: [String] = [], offersPerCall: [Int] = []
        for i in 0..<calls {
            let (id, out) = h.call()
            let o = offers(out).filter { $0.item == id }
            offersPerCall.append(o.count)
            let agent = ringAllAnswerer?(i, o.map(\.agent)) ?? o[0].agent
            let answered = h.send(.offerAnswered(id, agent: agent))
            if o.count > 1 { #expect(withdrawals(answered).count == o.count - 1) }
            counts[agent, default: 0] += 1
            order.append(agent)
            h.advance(talk(i))
            talkTime[agent, default: 0] += talk(i)
            h.send(.workEnded(id, agent: agent, by: .caller))
            h.advance(1)
        }
        return (counts, talkTime, order, offersPerCall)
    }

    @Test func roundRobinCyclesWithMemory() {
        let r = run(.roundRobin)
        #expect(r.counts.values.allSatisfy { $0 == 40 })
        #expect(Array(r.order.prefix(7)) == ["a1", "a2", "a3", "a4", "a5", "a1", "a2"])
    }

    @Test func roundRobinSkipsBusyAndContinuesAfterLastOffered() {
        var h = Harness(queues: [QueueSettings(name: "q", strategy: .roundRobin, members: ["a1", "a2", "a3"])], agents: agentsNamed(3))
        let (c1, o1) = h.call()
        #expect(offers(o1).map(\.agent) == ["a1"])
        h.send(.offerAnswered(c1, agent: "a1"))
        let (_, o2) = h.call()
        #expect(offers(o2).map(\.agent) == ["a2"])
        h.send(.workEnded(c1, agent: "a1", by: .agent))
        let (_, o3) = h.call()
        #expect(offers(o3).map(\.agent) == ["a3"])   // after a2, not back to a1
    }

    @Test func linearAlwaysTakesTheFirstFreeMember() {
        let r = run(.linear)
        #expect(r.counts == ["a1": 200])
    }

    @Test func longestIdleRotatesEvenly() {
        let r = run(.longestIdle)
        #expect(r.counts.values.allSatisfy { $0 == 40 })
        // Each call goes to the agent whose last call ended longest ago: a strict rotation after the first round.
        for i in 5..<r.order.count { #expect(r.order[i] == r.order[i - 5]) }
    }

    @Test func fewestCallsEvensCounts() {
        let r = run(.fewestCalls)
        #expect(r.counts.values.allSatisfy { $0 == 40 })
    }

    @Test func leastTalkTimeBalancesTalk() {
        // Talk times 30…300 s pseudo-randomly: the spread of total talk stays within one longest call.
        let lengths = (0..<200).map { i in Double(30 + (i * 7919) % 271) }
        let r = run(.leastTalkTime, talk: { lengths[$0] })
        let totals = r.talk.values
        #expect(totals.max()! - totals.min()! <= lengths.max()!)
        #expect(r.counts.count == 5)
    }

    @Test func randomIsRoughlyUniformAndSeeded() {
        let r = run(.random)
        // 200 calls over 5 agents: 40 expected each, sd ≈ 5.7; [20, 60] is beyond 3.5 sd.
        #expect(r.counts.count == 5)
        #expect(r.counts.values.allSatisfy { (20...60).contains($0) })
        #expect(run(.random).order == r.order)            // same seed, same choices
        #expect(run(.random, seed: 99).order != r.order)
    }

    @Test func ringAllOffersEveryFreeMemberAndWithdrawsTheLosers() {
        let r = run(.ringAll, ringAllAnswerer: { i, offered in offered[i % offered.count] })
        #expect(r.offersPerCall.allSatisfy { $0 == 5 })
        #expect(r.counts.values.allSatisfy { $0 == 40 })
    }

    @Test func skillsWeightedPicksTheBestSkilledFreeAgent() {
        var h = Harness(queues: [QueueSettings(name: "q", strategy: .skillsWeighted)], agents: agentsNamed(3, skills: [10, 90, 50]))
        let (c1, o1) = h.call()
        #expect(offers(o1).map(\.agent) == ["a2"])
        h.send(.offerAnswered(c1, agent: "a2"))
        let (c2, o2) = h.call()
        #expect(offers(o2).map(\.agent) == ["a3"])
        h.send(.offerAnswered(c2, agent: "a3"))
        let (_, o3) = h.call()
        #expect(offers(o3).map(\.agent) == ["a1"])
        // Over 100 calls with the best agent always free, every call goes to it.
        h.send(.workEnded(c1, agent: "a2", by: .caller))
        var counts: [String: Int] = [:]
        for _ in 0..<100 {
            let (c, o) = h.call()
            guard let first = offers(o).first else { continue }
            counts[first.agent, default: 0] += 1
            h.send(.offerAnswered(c, agent: first.agent))
            h.advance(30)
            h.send(.workEnded(c, agent: first.agent, by: .agent))
        }
        #expect(counts == ["a2": 100])
    }

    @Test func anAgentInSeveralQueuesTakesTheBestItemAcrossThem() {
        let agents = [AgentSettings(id: "a1", skills: ["sales": 50, "support": 50])]
        var h = Harness(queues: [QueueSettings(name: "sales"), QueueSettings(name: "support")], agents: agents)
        let (c0, _) = h.call("sales")
        h.send(.offerAnswered(c0, agent: "a1"))
        h.advance(1)
        let (_, _) = h.call("sales")
        h.advance(5)
        let (older, _) = h.call("support", priority: 0)
        h.advance(1)
        let (vip, _) = h.call("support", priority: 5)
        let out = h.send(.workEnded(c0, agent: "a1", by: .caller))
        #expect(offers(out).map(\.item) == [vip])
        _ = older
    }
}

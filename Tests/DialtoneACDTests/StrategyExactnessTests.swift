// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// Under overlapping load (calls arriving while others talk), every offer
/// made on arrival goes to exactly the free agent the strategy names,
/// recomputed independently from `agentStatus`.
@Suite struct StrategyExactnessTests {
    @Test(arguments: [Strategy.longestIdle, .fewestCalls, .leastTalkTime, .skillsWeighted, .linear])
    func everyOfferGoesToTheStrategysChoice(strategy: Strategy) {
        let ids = (1...8).map { "a\($0)" }
        let skills = [40, 90, 10, 70, 70, 20, 55, 90]
        var h = Harness(queues: [QueueSettings(name: "q", strategy: strategy, members: ids)],
                        agents: agentsNamed(8, skills: skills))
        var rng = SplitMix(state: 3)
        var talking: [(end: Date, item: String, agent: String)] = []
        var checked = 0
        for _ in 0..<400 {
            h.advance(Double(5 + rng.below(30)))
            // End the calls due by now, in order.
            talking.sort { $0.end < $1.end }
            while let first = talking.first, first.end <= h.now {
                talking.removeFirst()
                for o in offers(h.send(.workEnded(first.item, agent: first.agent, by: .caller))) {
                    h.send(.offerAnswered(o.item, agent: o.agent))
                    talking.append((h.now.addingTimeInterval(Double(30 + rng.below(200))), o.item, o.agent))
                }
            }
            let free = ids.enumerated().compactMap { i, id -> (order: Int, s: AgentStatus)? in
                let s = h.acd.agentStatus(id, now: h.now)!
                return s.state == .ready && s.restingUntil == nil ? (i, s) : nil
            }
            let waiting = h.acd.queueStatus("q", now: h.now)!.items.count
            let (item, out) = h.call()
            guard let o = offers(out).first else {
                #expect(free.isEmpty, "\(strategy): free agents but no offer")
                continue
            }
            if waiting == 0, !free.isEmpty {
                func idle(_ s: AgentStatus) -> Date { s.lastCallEnd ?? s.loginTime! }
                func key(_ f: (order: Int, s: AgentStatus)) -> (Double, Double, Int) {
                    switch strategy {
                    case .longestIdle: return (idle(f.s).timeIntervalSinceReferenceDate, 0, f.order)
                    case .fewestCalls: return (Double(f.s.calls), idle(f.s).timeIntervalSinceReferenceDate, f.order)
                    case .leastTalkTime: return (f.s.talkTime, idle(f.s).timeIntervalSinceReferenceDate, f.order)
                    case .skillsWeighted: return (Double(-f.s.queues["q"]!), idle(f.s).timeIntervalSinceReferenceDate, f.order)
                    default: return (0, 0, f.order)
                    }
                }
                let best = free.min { key($0) < key($1) }!
                #expect(o.agent == best.s.id, "\(strategy): offered \(o.agent), expected \(best.s.id)")
                checked += 1
            }
            h.send(.offerAnswered(item, agent: o.agent))
            talking.append((h.now.addingTimeInterval(Double(30 + rng.below(200))), item, o.agent))
        }
        #expect(checked > 100)
    }
}

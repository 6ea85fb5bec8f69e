// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// `dialtone bench`'s ACD figures: the time of one distribution decision in a
/// large call centre, and how many simulated calls per second go through the
/// state machine. Pure computation on one thread (no I/O, no clock inside the ACD).
public enum ACDBenchmark {
    public struct DecisionFigures: Sendable {
        public var agents: Int
        public var waiting: Int
        public var queues: Int
        public var decisions: Int
        public var meanMicros: Double
        public var p50Micros: Double
        public var p99Micros: Double
        public var maxMicros: Double
        /// The goal for the mean and p99 (issue 11).
        public static let goalMicros = 100.0
    }

    public struct ThroughputFigures: Sendable {
        public var calls: Int
        public var inputs: Int
        public var seconds: Double
        public var callsPerSecond: Double { seconds > 0 ? Double(calls) / seconds : 0 }
    }

    /// One decision = the `handle(.workEnded…)` of a busy agent while `waiting`
    /// items wait in `queues` queues (every agent a member of 3, mixed strategies,
    /// priorities, 10 % of items assigned to an agent): the call's end is logged,
    /// the agent is freed and the best item across its queues is chosen and
    /// offered. Between decisions (not timed) the offer is answered and a new
    /// item arrives, so the line stays at `waiting`.
    public static func decision(agents n: Int = 1000, waiting: Int = 10_000, queues q: Int = 10,
                                decisions: Int = 20_000, seed: UInt64 = 1) -> DecisionFigures {
        var rng = SplitMix64(state: seed)
        let strategies: [Strategy] = [.longestIdle, .fewestCalls, .leastTalkTime, .skillsWeighted, .roundRobin]
        let queues = (0..<q).map { QueueSettings(name: "q\($0)", strategy: strategies[$0 % strategies.count], offerTimeout: 20,
                                                 wrapUp: 0, assignedWait: 1e6) }
        let agents = (0..<n).map { i in
            AgentSettings(id: "a\(i)", station: .dial(number: "\(2000 + i)"),
                          skills: Dictionary(uniqueKeysWithValues: (0..<3).map { ("q\((i + $0 * 3) % q)", 1 + rng.next(below: 100)) }))
        }
        var acd = ACD(queues: queues, agents: agents, seed: seed)
        var t = Date(timeIntervalSinceReferenceDate: 800_000_000)
        for a in agents { _ = acd.handle(.agent(a.id, .login(station: nil)), now: t) }
        var counter = 0
        var busy: [String: String] = [:]   // agent → item
        var inLine = 0
        func arrive(_ acd: inout ACD, _ rng: inout SplitMix64) {
            counter += 1
            let assigned = rng.next(below: 10) == 0 ? ["a\(rng.next(below: n))"] : []
            let out = acd.handle(.arrive(WorkItem(id: "c\(counter)", queue: "q\(rng.next(below: q))", priority: rng.next(below: 4) == 0 ? rng.next(below: 5) : 0,
                                                  arrival: t, callerNumber: "555", assignedAgents: assigned)), now: t)
            inLine += 1
            answer(out, &acd)
        }
        func answer(_ out: [ACDAction], _ acd: inout ACD) {
            for case .offer(let item, let agent, _, _) in out {
                _ = acd.handle(.offerAnswered(item, agent: agent), now: t)
                busy[agent] = item
                inLine -= 1
            }
        }
        // Every agent busy, then the line filled.
        while busy.count < n { arrive(&acd, &rng) ; if counter > 20 * n { break } }
        while inLine < waiting {
            arrive(&acd, &rng)
            t += 0.001
        }
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(decisions)
        let ids = agents.map(\.id)
        for i in 0..<(decisions + decisions / 10) {
            t += 0.01
            let agent = ids[rng.next(below: n)]
            guard let item = busy.removeValue(forKey: agent) else { continue }
            var out: [ACDAction] = []
            let elapsed = clock.measure { out = acd.handle(.workEnded(item, agent: agent, by: .caller), now: t) }
            if i >= decisions / 10 {   // the first 10 % warm up
                samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
            }
            answer(out, &acd)
            arrive(&acd, &rng)
        }
        samples.sort()
        func at(_ p: Double) -> Double { samples.isEmpty ? 0 : samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        return DecisionFigures(agents: n, waiting: waiting, queues: q, decisions: samples.count,
                               meanMicros: samples.reduce(0, +) / Double(max(1, samples.count)),
                               p50Micros: at(0.5), p99Micros: at(0.99), maxMicros: samples.last ?? 0)
    }

    /// Simulated calls end to end through the state machine: each call
    /// arrives, is offered, answered and ended (100 agents, ~90 % of them busy,
    /// a 10 s wrap-up fired by ticks), every action produced and consumed.
    public static func throughput(calls: Int = 500_000, agents n: Int = 100, seed: UInt64 = 1) -> ThroughputFigures {
        var acd = ACD(queues: [QueueSettings(name: "q", strategy: .longestIdle, offerTimeout: 15, wrapUp: 10)],
                      agents: (0..<n).map { AgentSettings(id: "a\($0)", skills: ["q": 50]) }, seed: seed)
        var t = Date(timeIntervalSinceReferenceDate: 800_000_000)
        var inputs = 0
        func send(_ input: ACDInput) -> [ACDAction] {
            inputs += 1
            return acd.handle(input, now: t)
        }
        for i in 0..<n { _ = send(.agent("a\(i)", .login(station: nil))) }
        var inCall: [(item: String, agent: String)] = []
        var head = 0
        var completed = 0
        let start = ContinuousClock.now
        var i = 0
        while completed < calls {
            i += 1
            t += 0.1
            for case .offer(let item, let agent, _, _) in send(.arrive(WorkItem(id: "c\(i)", queue: "q", arrival: t))) {
                for case .offer(let item2, let agent2, _, _) in send(.offerAnswered(item, agent: agent)) { inCall.append((item2, agent2)) }
                inCall.append((item, agent))
            }
            if inCall.count - head > n * 9 / 10 || (i % 2 == 0 && inCall.count > head) {
                let c = inCall[head]
                head += 1
                completed += 1
                for case .offer(let item, let agent, _, _) in send(.workEnded(c.item, agent: c.agent, by: .caller)) {
                    _ = send(.offerAnswered(item, agent: agent))
                    inCall.append((item, agent))
                }
            }
            if let d = acd.nextDeadline, d <= t {
                for case .offer(let item, let agent, _, _) in send(.tick) {
                    _ = send(.offerAnswered(item, agent: agent))
                    inCall.append((item, agent))
                }
            }
            if head > 100_000 { inCall.removeFirst(head); head = 0 }
        }
        let d = ContinuousClock.now - start
        return ThroughputFigures(calls: completed, inputs: inputs,
                                 seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// The ACD as an M/M/N queue: Poisson arrivals, exponential handling, N
/// agents answering at once, no wrap-up, longest-idle, in simulated time.
/// Its measured probability of waiting, service level and ASA must agree
/// with Erlang C for the same load.
@Suite struct ErlangCTests {
    /// Erlang C: the probability that a call waits, for `agents` and an offered load `a` in Erlangs.
    static func erlangC(agents n: Int, load a: Double) -> Double {
        var term = 1.0, sum = 0.0
        for k in 0..<n {
            sum += term
            term *= a / Double(k + 1)
        }
        let top = term * Double(n) / (Double(n) - a)
        return top / (sum + top)
    }

    /// Tolerances: ±0.03 on the service level and the probability of waiting, ±10 % on the ASA, over
    /// 400,000 measured calls (after 2,000 of warm-up) at 80 % occupancy. Waits are strongly correlated
    /// (a busy period spans many calls: at 60,000 calls the standard error of the service level is
    /// still 0.011), so the test estimates each figure's standard error by batch means (20 batches of
    /// 20,000) and requires the tolerance to be at least 3 of them: agreement is then not luck, and a
    /// systematic error of the tolerance's size would show (seen: se ≈ 0.005 for SL, ≈ 1 s for an ASA of 37 s).
    @Test func serviceLevelAndASAMatchErlangC() async throws {
        let n = 10, aht = 180.0, load = 8.0, threshold = 20.0
        let (sample, lateOffers, invariants) = try await offThePool { Self.simulate(n: n, aht: aht, load: load, threshold: threshold) }
        #expect(lateOffers == 0, "an answered offer made the ACD offer again")
        #expect(invariants.isEmpty, "\(invariants.prefix(3))")
        try check(sample, n: n, aht: aht, load: load, threshold: threshold)
    }

    /// The discrete-event run: the waits of the measured calls, how many answers brought offers back, the invariants broken.
    static func simulate(n: Int, aht: Double, load: Double, threshold: Double) -> ([Double], Int, [String]) {
        let lambda = load / aht
        let warmUp = 2_000, measured = 400_000
        var acd = ACD(queues: [QueueSettings(name: "q", strategy: .longestIdle, offerTimeout: 1e9, wrapUp: 0, serviceLevel: threshold)],
                      agents: (0..<n).map { AgentSettings(id: "a\($0)", skills: ["q": 50]) })
        var rng = SplitMix(state: 2024)
        func exp(_ rate: Double) -> Double { -log(1 - rng.uniform()) / rate }
        var now = 0.0
        let start = Date(timeIntervalSinceReferenceDate: 0)
        for i in 0..<n { _ = acd.handle(.agent("a\(i)", .login(station: nil)), now: start) }

        var ends: [(at: Double, item: String, agent: String)] = []   // calls in progress (≤ n)
        var arrivals: [String: Double] = [:]
        var waits: [Double] = []
        var nextArrival = exp(lambda)
        var arrived = 0
        var lateOffers = 0

        func apply(_ actions: [ACDAction], at t: Double, acd: inout ACD) {
            for case .offer(let item, let agent, _, _) in actions {
                let answered = acd.handle(.offerAnswered(item, agent: agent), now: Date(timeIntervalSinceReferenceDate: t))
                if !offers(answered).isEmpty { lateOffers += 1 }
                waits.append(t - arrivals.removeValue(forKey: item)!)
                ends.append((t + exp(1 / aht), item, agent))
            }
        }
        while waits.count < warmUp + measured {
            let endIndex = ends.indices.min { ends[$0].at < ends[$1].at }
            if let e = endIndex, ends[e].at < nextArrival {
                let call = ends.remove(at: e)
                now = call.at
                let out = acd.handle(.workEnded(call.item, agent: call.agent, by: .caller), now: Date(timeIntervalSinceReferenceDate: now))
                apply(out, at: now, acd: &acd)
            } else {
                now = nextArrival
                arrived += 1
                let id = "c\(arrived)"
                arrivals[id] = now
                let out = acd.handle(.arrive(WorkItem(id: id, queue: "q", arrival: Date(timeIntervalSinceReferenceDate: now))),
                                     now: Date(timeIntervalSinceReferenceDate: now))
                apply(out, at: now, acd: &acd)
                nextArrival = now + exp(lambda)
            }
        }
        return (Array(waits[warmUp..<(warmUp + measured)]), lateOffers, acd.checkInvariants())
    }

    func check(_ sample: [Double], n: Int, aht: Double, load: Double, threshold: Double) throws {

        let c = Self.erlangC(agents: n, load: load)
        let expectedASA = c * aht / (Double(n) - load)
        let expectedSL = 1 - c * Foundation.exp(-(Double(n) - load) * threshold / aht)
        func mean(_ xs: ArraySlice<Double>) -> Double { xs.reduce(0, +) / Double(xs.count) }
        func sl(_ xs: ArraySlice<Double>) -> Double { Double(xs.filter { $0 <= threshold }.count) / Double(xs.count) }
        func pw(_ xs: ArraySlice<Double>) -> Double { Double(xs.filter { $0 > 0 }.count) / Double(xs.count) }
        let asa = mean(sample[...]), serviceLevel = sl(sample[...]), pWait = pw(sample[...])
        // Batch means: the standard error of each figure from 20 batches of 20,000 calls.
        func stderr(_ f: (ArraySlice<Double>) -> Double) -> Double {
            let size = sample.count / 20
            let b = (0..<20).map { f(sample[($0 * size)..<(($0 + 1) * size)]) }
            let m = b.reduce(0, +) / 20
            return (b.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 19).squareRoot() / 20.0.squareRoot()
        }
        let seASA = stderr(mean), seSL = stderr(sl), sePW = stderr(pw)
        print(String(format: "Erlang C, %d agents, %.1f Erl: P(wait) %.4f vs %.4f (se %.4f); SL(%.0f s) %.4f vs %.4f (se %.4f); ASA %.2f s vs %.2f s (se %.2f)",
                     n, load, pWait, c, sePW, threshold, serviceLevel, expectedSL, seSL, asa, expectedASA, seASA))
        #expect(abs(serviceLevel - expectedSL) <= 0.03)
        #expect(abs(pWait - c) <= 0.03)
        #expect(abs(asa - expectedASA) <= 0.10 * expectedASA)
        #expect(0.03 >= 3 * seSL && 0.03 >= 3 * sePW && 0.10 * expectedASA >= 3 * seASA,
                "tolerances must cover 3 standard errors")
    }

    @Test func erlangCFormulaKnownValue() {
        // A classic table value: 10 agents, 8 Erlangs → P(wait) ≈ 0.4092.
        #expect(abs(Self.erlangC(agents: 10, load: 8) - 0.4092) < 0.0005)
    }
}

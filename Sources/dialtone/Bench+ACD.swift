// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation

/// `dialtone bench`'s ACD part: one distribution decision with 1,000 agents
/// and 10,000 waiting items, and simulated calls per second through the pure
/// ACD state machine (one thread, no I/O). Run alone with
/// `dialtone bench --idle-seconds 0 --ticks 0 --seconds 0 --sig-seconds 0`.
extension Bench {
    func acd(say: (String) -> Void) {
        say("Dialtone ACD benchmark: the pure queue state (DialtoneACD), one thread, no I/O.")
        if acdDecisions > 0 {
            let f = ACDBenchmark.decision(decisions: acdDecisions)
            say(String(format: "  acd decision: %d agents, %d waiting: mean %.1f µs, p99 %.1f µs (goal < %.0f µs); p50 %.1f µs, max %.1f µs over %d decisions in %d queues",
                       f.agents, f.waiting, f.meanMicros, f.p99Micros, ACDBenchmark.DecisionFigures.goalMicros, f.p50Micros, f.maxMicros,
                       f.decisions, f.queues))
            say("    (a decision: a busy agent's call ends; it is logged, the agent freed, the best item across its 3 queues and its")
            say("    assigned items chosen and offered: the whole handle(.workEnded) call)")
        }
        if acdCalls > 0 {
            let t = ACDBenchmark.throughput(calls: acdCalls)
            say(String(format: "  acd throughput: %.0f simulated calls/s (%d calls, %d inputs in %.2f s: arrive, offer, answer, end, wrap-up ticks; 100 agents)",
                       t.callsPerSecond, t.calls, t.inputs, t.seconds))
        }
    }
}

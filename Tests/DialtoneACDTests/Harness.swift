// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// Drives an ACD in simulated time for the unit tests: records actions and
/// queue events, checks the invariants after every input, and fires timers
/// in deadline order when time advances.
struct Harness {
    var acd: ACD
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var actions: [ACDAction] = []
    var events: [QueueEvent] = []
    private var counter = 0

    init(queues: [QueueSettings], agents: [AgentSettings], seed: UInt64 = 1, login: Bool = true) {
        acd = ACD(queues: queues, agents: agents, seed: seed)
        if login { for a in agents { send(.agent(a.id, .login(station: nil))) } }
    }

    @discardableResult
    mutating func send(_ input: ACDInput) -> [ACDAction] {
        let out = acd.handle(input, now: now)
        actions += out
        for case .log(let e) in out { events.append(e) }
        let v = acd.checkInvariants(now: nil)
        #expect(v.isEmpty, "invariants after \(input): \(v)")
        return out
    }

    /// Advances time by `seconds`, ticking at every deadline on the way; returns the actions.
    @discardableResult
    mutating func advance(_ seconds: Double) -> [ACDAction] {
        let end = now.addingTimeInterval(seconds)
        var out: [ACDAction] = []
        while let d = acd.nextDeadline, d <= end {
            now = max(now, d)
            out += send(.tick)
        }
        now = end
        return out
    }

    /// A new call in `queue`.
    @discardableResult
    mutating func call(_ queue: String = "q", id: String? = nil, priority: Int = 0, assigned: [String] = []) -> (String, [ACDAction]) {
        counter += 1
        let id = id ?? "c\(counter)"
        let out = send(.arrive(WorkItem(id: id, queue: queue, priority: priority, arrival: now, callerNumber: "555\(counter)",
                                        assignedAgents: assigned)))
        return (id, out)
    }

    func state(_ agent: String) -> AgentState { acd.agentStatus(agent, now: now)!.state }
    func kinds(for item: String) -> [QueueEvent.Kind] { events.filter { $0.callID == item }.map(\.kind) }
}

func offers(_ actions: [ACDAction]) -> [(item: String, agent: String, kind: OfferKind)] {
    actions.compactMap { if case .offer(let i, let a, _, let k) = $0 { return (i, a, k) } else { return nil } }
}

func withdrawals(_ actions: [ACDAction]) -> [(item: String, agent: String)] {
    actions.compactMap { if case .withdraw(let i, let a) = $0 { return (i, a) } else { return nil } }
}

func agentsNamed(_ n: Int, queue: String = "q", skills: [Int]? = nil) -> [AgentSettings] {
    (1...n).map { i in AgentSettings(id: "a\(i)", name: "Agent \(i)", station: .dial(number: "20\(i)"),
                                     skills: [queue: skills?[i - 1] ?? 50]) }
}

/// Runs CPU-bound work (the property and Erlang C runs: tens of seconds) on a
/// thread of its own, so that it never holds one of the few cooperative
/// threads the rest of the test run — daemons in real time — needs.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let t = Thread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
        t.stackSize = 8 << 20
        t.start()
    }
}

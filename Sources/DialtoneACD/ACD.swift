// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// The automatic call distribution state: queues, agents and work items,
/// pure and deterministic. One owner (an actor in the daemon) feeds it
/// inputs with the time they happened and carries out the actions it returns;
/// it calls `handle(.tick, now:)` at or after `nextDeadline`. Nothing inside
/// reads a clock, sleeps or spawns work: the same inputs at the same times
/// give the same actions (the random strategy uses the seeded generator).
///
/// Invariants (see `checkInvariants()`): an agent holds at most one offer;
/// an agent is offered exactly when a live offer rings at its station; a
/// wrap-up always has a timer that ends it; no free agent stays idle while an
/// item it may take is waiting; every item leaves its line through exactly
/// one CONNECT, ABANDON, EXIT… (+ OVERFLOW), CALLBACK, MESSAGE or CALLBACKEXPIRED event.
public struct ACD: Sendable {
    var queues: [QueueRecord] = []
    var queueIndex: [String: Int] = [:]
    var agents: [AgentRecord] = []
    var agentIndex: [String: Int] = [:]
    var items: [ItemRecord?] = []
    var freeSlots: [Int] = []
    var itemIndex: [String: Int] = [:]
    var timers = TimerHeap()
    var rng: SplitMix64
    var sequence: UInt64 = 0
    var dirtyAgents: [Int] = []
    var dirtyItems: [Int] = []
    /// Set by a restore: distribution must run before anything else (nextDeadline is then in the past).
    var restoredPending = false
    /// Queues whose last member logged out during this input (swept before distribution).
    var emptiedQueues: [Int] = []
    var durableChanged = false
    var now = 0.0
    var out: [ACDAction] = []

    /// Builds the state from the configuration, then (optionally) restores what survived a restart.
    /// After a restore, `nextDeadline` is in the past: the owner's first `.tick` distributes the restored work.
    public init(queues: [QueueSettings], agents: [AgentSettings], restoring: ACDSnapshot? = nil, seed: UInt64 = 1) {
        rng = SplitMix64(state: seed)
        for a in agents where agentIndex[a.id] == nil {
            agentIndex[a.id] = self.agents.count
            self.agents.append(AgentRecord(settings: a, station: a.station))
        }
        for q in queues where queueIndex[q.name] == nil {
            let qi = self.queues.count
            queueIndex[q.name] = qi
            var record = QueueRecord(settings: q)
            var seen = Set<Int>()
            for id in q.members { if let a = agentIndex[id], seen.insert(a).inserted { record.members.append(a) } }
            let skilled = agents.filter { $0.skills[q.name] != nil }.map(\.id).sorted()
            for id in skilled { if let a = agentIndex[id], seen.insert(a).inserted { record.members.append(a) } }
            for (order, a) in record.members.enumerated() {
                let skill = self.agents[a].settings.skills[q.name] ?? 1
                self.agents[a].memberships.append(Membership(queue: qi, order: order, skill: skill))
            }
            self.queues.append(record)
        }
        if let restoring { restore(restoring) }
        pruneTimers()
    }

    /// Applies one input at time `now` and returns what the owner must do, in order.
    /// Only `.tick` fires timers; every input ends with distribution (free agents matched to waiting items).
    public mutating func handle(_ input: ACDInput, now: Date) -> [ACDAction] {
        self.now = now.timeIntervalSinceReferenceDate
        out.removeAll(keepingCapacity: true)
        durableChanged = false
        switch input {
        case .arrive(let item): arrive(item)
        case .callerLeft(let id): callerLeft(id)
        case .offerAnswered(let id, let agent): offerAnswered(id, agent: agent)
        case .offerFailed(let id, let agent, let reason): offerFailed(id, agent: agent, reason: reason)
        case .workEnded(let id, let agent, let by): workEnded(id, agent: agent, by: by, transferTo: nil)
        case .transferred(let id, let agent, let to): workEnded(id, agent: agent, by: .agent, transferTo: to)
        case .convertToCallback(let id, let number, let at): convertToCallback(id, number: number, at: at)
        case .messageStarted(let id): messageStarted(id)
        case .messageLeft(let id, let path, let seconds): messageLeft(id, path: path, seconds: seconds)
        case .callbackResult(let id, let answered): callbackResult(id, answered: answered)
        case .agent(let id, let command): agentCommand(id, command)
        case .tick: fireDueTimers()
        }
        restoredPending = false
        sweepEmptiedQueues()
        distribute()
        pruneTimers()
        if durableChanged { out.append(.itemsChanged) }
        let result = out
        out.removeAll(keepingCapacity: true)
        return result
    }

    /// The earliest pending deadline: the owner calls `handle(.tick, now:)` at (or after) it. Nil: nothing pending.
    public var nextDeadline: Date? {
        if restoredPending { return .distantPast }
        return timers.top.map { Date(timeIntervalSinceReferenceDate: $0.deadline) }
    }

    /// Agent ids in configuration order.
    public var agentIDs: [String] { agents.map(\.settings.id) }
    /// Queue names in configuration order.
    public var queueNames: [String] { queues.map(\.settings.name) }

    // MARK: - One place for agent state changes

    /// Changes an agent's state (the only place that does), keeps the short
    /// history, publishes the change and keeps the free sets in step.
    mutating func setAgent(_ a: Int, _ state: AgentState) {
        let from = agents[a].state
        agents[a].state = state
        if agents[a].history.count >= 8 { agents[a].history.removeFirst() }
        agents[a].history.append(AgentTransition(time: Date(timeIntervalSinceReferenceDate: now), from: from, to: state))
        out.append(.agentChanged(agent: agents[a].settings.id, state))
        refreshFree(a)
    }

    // MARK: - Logging

    mutating func log(_ kind: QueueEvent.Kind, item: String = "NONE", queue: Int? = nil, agent: Int? = nil, _ data: [String] = []) {
        out.append(.log(QueueEvent(time: Date(timeIntervalSinceReferenceDate: now), callID: item,
                                   queue: queue.map { queues[$0].settings.name } ?? "NONE",
                                   agent: agent.map { agents[$0].settings.id } ?? "NONE", kind: kind, data: data)))
    }

    static func secs(_ t: Double) -> String { String(Int(max(0, t).rounded())) }

    func membership(_ a: Int, _ q: Int) -> Int? {
        agents[a].memberships.firstIndex { $0.queue == q }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Testing

/// A seeded random driver: arrivals, hang-ups, answers, misses, busy
/// stations, work ends, transfers, callbacks (and their results), messages,
/// pauses, logouts (one at a time and everyone at once), stale and unknown inputs, late ticks, and restarts via
/// snapshot → JSON → restore. After every input the ACD's own invariants are
/// checked, and independently, from the actions alone: an agent holds at most
/// one offer, the offers the driver sees ringing are exactly the agents the
/// ACD has offered, and every item leaves its line through exactly one
/// CONNECT, ABANDON, EXIT…+OVERFLOW, CALLBACK, MESSAGE or CALLBACKEXPIRED.
@Suite(.serialized) struct PropertyTests {
    static let runs = 10
    static let eventsPerRun = 105_000

    @Test(arguments: 0..<runs)
    func randomDriverKeepsEveryInvariant(run: Int) async throws {
        let d = try await offThePool {
            var d = Driver(seed: UInt64(run) &* 0x9E37_79B9 &+ 17)
            try d.run(events: Self.eventsPerRun)
            return Outcome(violations: d.violations, events: d.events, logged: d.logged, restarts: d.restarts)
        }
        #expect(d.violations.isEmpty, "run \(run): \(d.violations.prefix(5))")
        #expect(d.events >= Self.eventsPerRun)
        // The driver must have exercised every path, not just arrivals.
        for kind: QueueEvent.Kind in [.connect, .abandon, .exitWithTimeout, .exitFull, .overflow, .callbackRequested,
                                      .callbackExpired, .message, .ringNoAnswer, .transfer, .pause, .agentLogoff, .wrapUp] {
            #expect(d.logged[kind, default: 0] > 0, "run \(run): never logged \(kind)")
        }
        #expect(d.restarts > 0)
    }
}

/// What a run of the driver found.
struct Outcome: Sendable {
    var violations: [String]
    var events: Int
    var logged: [QueueEvent.Kind: Int]
    var restarts: Int
}

/// The random driver (the ACD's owner, played badly on purpose).
struct Driver {
    var rng: SplitMix
    var acd: ACD
    let queues: [QueueSettings]
    let agents: [AgentSettings]
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var events = 0
    var restarts = 0
    var violations: [String] = []
    var logged: [QueueEvent.Kind: Int] = [:]
    /// agent → (item, kind) ringing now, as the actions said.
    var ringing: [String: (item: String, kind: OfferKind)] = [:]
    var connected: [String: String] = [:]     // item → agent
    var dialling: [String: String] = [:]      // callback item → agent
    var recent: [String] = []
    var counter = 0
    /// Per item: its line segment ("open", "exiting" awaiting OVERFLOW, "connected", or closed).
    var segment: [String: String] = [:]
    var sinceCheck = 0
    let agentIDs: [String]

    init(seed: UInt64) {
        rng = SplitMix(state: seed)
        let strategies = Strategy.allCases
        var r = rng
        queues = (0..<3).map { i in
            QueueSettings(name: "q\(i)", strategy: strategies[r.below(strategies.count)],
                          members: i == 0 ? ["a0", "a1", "a2", "a3"] : [], offerTimeout: Double(5 + r.below(20)),
                          wrapUp: Double((i == 0 ? 1 : r.below(3)) * 10),
                          maxWait: i != 1 && r.below(3) == 0 ? nil : Double(60 + r.below(300)),
                          maxLength: i != 0 && r.below(2) == 0 ? nil : 5 + r.below(10),
                          overflow: [nil, .queue("q\((i + 1) % 3)"), .number("0800"), .message, .callback, .hangup][r.below(6)],
                          autoPauseAfterMisses: r.below(2) == 0 ? nil : 2 + r.below(3), retryDelay: Double(r.below(6)),
                          assignedWait: Double(r.below(40)), announceInterval: r.below(2) == 0 ? nil : 30,
                          callbackRetries: r.below(3), callbackRetryInterval: Double(30 + r.below(120)),
                          callbackExpiry: Double(600 + r.below(3000)))
        }
        agents = (0..<10).map { i in
            var skills: [String: Int] = [:]
            for q in 0..<3 where r.below(2) == 0 || q == i % 3 { skills["q\(q)"] = 1 + r.below(100) }
            return AgentSettings(id: "a\(i)", station: i % 2 == 0 ? .line : .dial(number: "20\(i)"), skills: skills)
        }
        rng = r
        agentIDs = agents.map(\.id)
        acd = ACD(queues: queues, agents: agents, seed: seed)
    }

    mutating func run(events target: Int) throws {
        for a in agents { send(.agent(a.id, .login(station: nil))) }
        while events < target && violations.count < 5 { try step() }
        // At the end every open segment is an item in some line, and vice versa.
        checkLines()
        if Flags.stats { print("STATS", queues.map { acd.queueStatus($0.name, now: now)!.items.count }, restarts, logged.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }) }
    }

    mutating func step() throws {
        let roll = rng.below(1000)
        switch roll {
        case 0..<140:
            counter += 1
            let id = "i\(counter)"
            recent.append(id)
            if recent.count > 40 { recent.removeFirst() }
            let kindRoll = rng.below(20)
            let kind: WorkItem.Kind = kindRoll == 0 ? .callback(number: "06", notBefore: rng.below(2) == 0 ? nil : now.addingTimeInterval(Double(rng.below(600))), attempts: 0)
                : kindRoll == 1 ? .message(path: "/m/\(id).wav", seconds: 9) : .call
            let assigned = rng.below(5) == 0 ? [agents[rng.below(agents.count)].id] : []
            send(.arrive(WorkItem(id: id, kind: kind, queue: queues[rng.below(queues.count)].name, priority: rng.below(4) == 0 ? rng.below(10) : 0,
                                  arrival: now.addingTimeInterval(-Double(rng.below(30))), callerNumber: "555", assignedAgents: assigned)))
        case 140..<200: if let id = pick(recent) { send(.callerLeft(id)) }
        case 200..<340:
            if let agent = pick(Array(ringing.keys).sorted()) {
                let (item, kind) = ringing[agent]!
                send(.offerAnswered(item, agent: agent))
                if case .busy(let i)? = acd.state(ofAgent: agent), i == item {
                    if kind == .callback { dialling[item] = agent } else { connected[item] = agent }
                }
            }
        case 340..<420:
            if let agent = pick(Array(ringing.keys).sorted()) {
                let reasons: [OfferFailure] = [.noAnswer, .busy, .rejected, .failed]
                send(.offerFailed(ringing[agent]!.item, agent: agent, reason: reasons[rng.below(4)]))
            }
        case 420..<540:
            if let item = pick(Array(connected.keys).sorted()) {
                let agent = connected.removeValue(forKey: item)!
                if rng.below(8) == 0 { send(.transferred(item, agent: agent, to: "2000")) }
                else { send(.workEnded(item, agent: agent, by: rng.below(2) == 0 ? .caller : .agent)) }
            }
        case 540..<580:
            if let item = pick(Array(dialling.keys).sorted()) {
                let agent = dialling.removeValue(forKey: item)!
                let answered = rng.below(3) == 0
                send(.callbackResult(item, answered: answered))
                if answered { connected[item] = agent }
            }
        case 580..<605:
            if let id = pick(recent) {
                send(.convertToCallback(id, number: "06", at: rng.below(3) == 0 ? now.addingTimeInterval(Double(rng.below(900))) : nil))
            }
        case 605..<620: if let id = pick(recent) { send(.messageStarted(id)) }
        case 620..<635: if let id = pick(recent) { send(.messageLeft(id, path: "/m/\(id).wav", seconds: 4)) }
        case 635..<730:
            let agent = agents[rng.below(agents.count)].id
            let commands: [AgentCommand] = [.login(station: nil), .logout, .ready, .pause(reason: "p\(rng.below(3))"), .unpause,
                                            .pauseAfterCall(reason: "after"), .logoutAfterCall, .endWrapUp, .login(station: .line)]
            var c = commands[rng.below(commands.count)]
            if case .logout = c, rng.below(2) == 0 { c = .ready }     // keep enough agents around
            send(.agent(agent, c))
        case 730..<745:
            // Stale and unknown inputs: must change nothing harmful.
            let agent = agents[rng.below(agents.count)].id
            switch rng.below(5) {
            case 0: send(.offerAnswered(pick(recent) ?? "x", agent: agent))
            case 1: send(.offerFailed(pick(recent) ?? "x", agent: agent, reason: .noAnswer))
            case 2: send(.workEnded(pick(recent) ?? "x", agent: agent, by: .agent))
            case 3: send(.callbackResult(pick(recent) ?? "x", answered: true))
            default: send(.agent("nobody", .ready))
            }
        case 745..<746:
            try restart()
        case 746..<747:
            // Everyone leaves after their call: queues empty while items exit, offers are withdrawn, agents log out.
            for id in agentIDs { send(.agent(id, .logoutAfterCall)) }
        default:
            advance(Double(rng.below(20_000)) / 1000)
        }
    }

    mutating func pick(_ list: [String]) -> String? { list.isEmpty ? nil : list[rng.below(list.count)] }

    /// Moves time on, ticking at each deadline (sometimes late, as a busy owner would).
    mutating func advance(_ seconds: Double) {
        let end = now.addingTimeInterval(seconds)
        while let d = acd.nextDeadline, d <= end, violations.count < 5 {
            now = max(now, d).addingTimeInterval(rng.below(4) == 0 ? Double(rng.below(500)) / 1000 : 0)
            if now > end { now = end }
            send(.tick, tick: true)
        }
        now = end
    }

    mutating func restart() throws {
        restarts += 1
        let data = try JSONEncoder().encode(acd.snapshot())
        let snap = try JSONDecoder().decode(ACDSnapshot.self, from: data)
        acd = ACD(queues: queues, agents: agents, restoring: snap, seed: rng.next())
        events += 1
        ringing = [:]
        connected = [:]
        dialling = [:]
        // Live calls died with the daemon: their segments end without an event.
        let inLine = lineItems()
        for (id, s) in segment where s != "closed" && !inLine.contains(id) { segment[id] = "closed" }
        for s in restoredAgentsOffered() { violations.append("after restore \(s) is still offered") }
        send(.tick, tick: true)
    }

    func restoredAgentsOffered() -> [String] {
        agents.map(\.id).filter { if case .offered? = acd.state(ofAgent: $0) { return true } else { return false } }
    }

    func lineItems() -> Set<String> {
        Set(queues.flatMap { acd.queueStatus($0.name, now: now)!.items.map(\.id) })
    }

    mutating func send(_ input: ACDInput, tick: Bool = false) {
        events += 1
        let out = acd.handle(input, now: now)
        // An answer or a failure ends that offer at the driver (before any new offer in `out`).
        switch input {
        case .offerAnswered(let item, let agent), .offerFailed(let item, let agent, _):
            if ringing[agent]?.item == item { ringing[agent] = nil }
        default: break
        }
        for a in out {
            switch a {
            case .offer(let item, let agent, _, let kind):
                if let held = ringing[agent] { violations.append("\(agent) offered \(item) while holding \(held.item)") }
                ringing[agent] = (item, kind)
            case .withdraw(let item, let agent):
                if ringing[agent]?.item == item { ringing[agent] = nil }
            case .log(let e): audit(e)
            default: break
            }
        }
        for id in agentIDs {
            let state = acd.state(ofAgent: id)!
            let mine = ringing[id]?.item
            if case .offered(let item) = state {
                if mine != item { violations.append("\(id) offered \(item) in the ACD, ringing \(mine ?? "nothing") at the driver after \(input)") }
            } else if let mine {
                violations.append("\(id) is \(state) but \(mine) still rings after \(input)")
            }
        }
        // The ACD's full self-check walks everything (O(items + agents + timers), slow in a debug
        // build): after every tick, and every third other input. The driver's own checks above run every time.
        sinceCheck += 1
        if tick || sinceCheck >= 3 {
            sinceCheck = 0
            let v = acd.checkInvariants(now: tick ? now : nil)
            if !v.isEmpty { violations.append("after \(input): \(v)") }
        }
    }

    /// Follows each item's line segments through the queue log.
    mutating func audit(_ e: QueueEvent) {
        logged[e.kind, default: 0] += 1
        guard e.callID != "NONE" else { return }
        let s = segment[e.callID] ?? "closed"
        func expect(_ wanted: String, _ next: String) {
            if s != wanted { violations.append("\(e.callID): \(e.kind.rawValue) while \(s)") }
            segment[e.callID] = next
        }
        switch e.kind {
        case .enterQueue: expect("closed", "open")
        case .connect: expect("open", "connected")
        case .abandon, .callbackExpired: expect("open", "closed")
        case .exitWithTimeout, .exitFull, .exitEmpty: expect("open", "exiting")
        case .overflow: expect("exiting", "closed")
        case .callbackRequested, .message: expect("open", "open")
        case .ringNoAnswer, .callbackAttempt, .exitWithKey: expect("open", "open")
        case .completeAgent, .completeCaller, .transfer: expect("connected", "closed")
        case .agentLogin, .agentLogoff, .pause, .unpause, .wrapUp: break
        }
    }

    mutating func checkLines() {
        var inLine = lineItems()
        // A callback being dialled is out of line but its segment is still open (until CONNECT or a retry).
        for id in acd.agentIDs { if case .busy(let item)? = acd.state(ofAgent: id), segment[item] == "open" { inLine.insert(item) } }
        for (id, s) in segment where (s == "open") != inLine.contains(id) {
            violations.append("\(id): segment \(s), in line \(inLine.contains(id))")
        }
    }
}

/// The driver's own generator (independent of the ACD's).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
enum Flags {
    /// ACD_PROPERTY_STATS=1 prints each run's line lengths and event counts.
    static let stats = ProcessInfo.processInfo.environment["ACD_PROPERTY_STATS"] != nil
}

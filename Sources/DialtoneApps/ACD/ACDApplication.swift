// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneConfig
import DialtoneSignalling
import DialtoneSwitch
import Foundation
import Logging

/// The ACD: one long-lived application that owns every queue and agent.
/// Its decisions are the pure ``ACD`` value's (DialtoneACD); this actor
/// carries them out with the call-control API only — answering and
/// holding callers with music and announcements, ringing agents' stations
/// (`offer`), linking callers to agents' open lines, recording messages,
/// calling customers back — and feeds back what the event stream says.
/// Each queue is registered with the switch under its own name
/// (``QueueEntry``) and the agent line under its own (``AgentLineEntry``).
public actor ACDApplication {
    let core: SwitchCore
    let storage: any ACDStorage
    let logger: Logger
    let clock: any Clock<Duration>
    let queues: [String: QueueConfig]
    let agentConfigs: [String: AgentConfig]
    var acd: ACD

    /// A caller waiting in a queue (its item id is its call id).
    struct Caller {
        var queue: String
        var phase: Phase = .waiting
        var arrival: Date
        enum Phase: Equatable {
            case waiting
            /// Chose a callback: `digits` of a time of day so far; `overflow`: the queue sent them here.
            case callbackChoice(digits: String, overflow: Bool)
            /// Leaving a message (the prompt, then recording from `since`); `overflow`: the queue sent them here.
            case message(path: String?, since: Date?, overflow: Bool)
            /// Done with the queue (a goodbye plays, then the call clears).
            case leaving
        }
    }
    var callers: [String: Caller] = [:]
    /// Told when an agent takes a fax work item (the fax application assigns it).
    var faxAssignment: (@Sendable (String, String) async -> Void)?
    /// The calling number of each item taken since start (callbacks and messages name it to the agent).
    var numbers: [String: String] = [:]

    /// How an offer rings: a leg of the caller's call (dial station), an
    /// agent call Dialtone placed (callbacks, messages), or an open line.
    enum Ring: Equatable {
        case leg(call: String, leg: Int)
        case agentCall(String)
        case line(String)
    }
    struct OfferKey: Hashable { var item: String; var agent: String }
    var offers: [OfferKey: (ring: Ring, kind: OfferKind)] = [:]

    /// An agent in a conversation (or a callback being dialled, a message being played).
    struct Engagement {
        var item: String
        var kind: OfferKind
        /// The call the agent is in: the caller's (a dial station's offer), the
        /// agent's own (callbacks and messages to a dial station), or the open line.
        var call: String
        /// The agent's leg in `call`; nil on an open line (linked to the caller's call).
        var agentLeg: Int?
        /// A callback: the customer's leg in `call` (dial station) or the customer's call (open line).
        var customerLeg: Int?
        var customerCall: String?
        var customerNumber: String?
        /// A callback reached the customer.
        var connected = false
    }
    var engaged: [String: Engagement] = [:]

    /// Open agent lines: agent → call, call → agent.
    var lines: [String: String] = [:]
    var lineAgent: [String: String] = [:]
    /// Agent-line calls logging in: call → what has been keyed.
    var logins: [String: Login] = [:]
    struct Login { var agent: String?; var digits = ""; var tries = 0 }

    let settings: (queues: [QueueSettings], agents: [AgentSettings])
    let startLoggedIn: [String]
    var restored = false
    var timer: Task<Void, Never>?
    var timerDeadline: Date?
    var dirty = false

    public init(config: DialtoneConfig, core: SwitchCore, storage: any ACDStorage, logger: Logger,
                clock: any Clock<Duration> = ContinuousClock()) {
        self.core = core
        self.storage = storage
        self.logger = logger
        self.clock = clock
        var queues: [String: QueueConfig] = [:]
        for app in config.applications.values { if let q = app.queue { queues[app.name] = q } }
        self.queues = queues
        agentConfigs = Dictionary(config.agents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let settings = queues.sorted { $0.key < $1.key }.map { Self.settings(name: $0.key, $0.value) }
        let agents = config.agents.map { a in
            AgentSettings(id: a.id, name: a.name, station: a.station == .line ? .line : .dial(number: "\(a.station)"), skills: a.skills)
        }
        self.settings = (settings, agents)
        acd = ACD(queues: settings, agents: agents)
        startLoggedIn = config.agents.filter { $0.loggedIn && $0.station != .line }.map(\.id)
    }

    /// Once, before the first call or command: the state saved before a
    /// restart (agents logged in and paused, callbacks and messages), or the
    /// agents configured `logged_in`. Late, because the store replays its
    /// journal when it starts, after the applications are built.
    func restore() {
        guard !restored else { return }
        restored = true
        var snapshot: ACDSnapshot?
        if let data = storage.loadState() {
            do { snapshot = try JSONDecoder().decode(ACDSnapshot.self, from: data) } catch {
                logger.error("ACD state not readable; starting with every agent logged out", metadata: ["error": "\(error)"])
            }
        }
        if let snapshot {
            acd = ACD(queues: settings.queues, agents: settings.agents, restoring: snapshot)
            logger.notice("ACD state restored", metadata: ["agents": "\(snapshot.agents.count)"])
        } else {
            for id in startLoggedIn { feed(.agent(id, .login(station: nil))) }
        }
        feed(.tick)
    }

    /// The station rings `offer_timeout` (the switch clears it then and reports
    /// the failure); the ACD's own timer is this much later, so that a CONNECT
    /// racing the timeout is never an answer the ACD has already given up on.
    static let offerMargin = 2.0

    static func settings(name: String, _ q: QueueConfig) -> QueueSettings {
        let overflow: Overflow? = q.overflow.map {
            switch $0 {
            case .queue(let n): .queue(n)
            case .number(let n): .number(n)
            case .message: .message
            case .callback: .callback
            case .hangup: .hangup
            case .application(let a, let arg): .application(a, argument: arg)
            }
        }
        return QueueSettings(name: name, strategy: Strategy(rawValue: q.strategy) ?? .longestIdle, members: q.members,
                             offerTimeout: q.offerTimeout + offerMargin, wrapUp: q.wrapUp, maxWait: q.maxWait, maxLength: q.maxLength,
                             overflow: overflow, autoPauseAfterMisses: q.autoPauseAfter, assignedWait: q.assignedWait,
                             announceInterval: q.announceEvery, serviceLevel: q.serviceLevel,
                             callbackRetries: q.callbackRetries, callbackRetryInterval: q.callbackRetryInterval,
                             callbackExpiry: q.callbackExpiry)
    }

    // MARK: Feeding the ACD

    /// Hands `input` to the ACD and carries out what it answers.
    func feed(_ input: ACDInput) {
        let actions = acd.handle(input, now: Date())
        for action in actions { perform(action) }
        if dirty { persist() }
        scheduleTimer()
    }

    func persist() {
        dirty = false
        do { storage.save(state: try JSONEncoder().encode(acd.snapshot())) } catch {
            logger.error("ACD state not saved", metadata: ["error": "\(error)"])
        }
    }

    /// One sleeping task to the ACD's next deadline.
    func scheduleTimer() {
        let next = acd.nextDeadline
        guard next != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = next
        guard let next else { timer = nil; return }
        let clock = self.clock
        let seconds = max(0, next.timeIntervalSinceNow)
        timer = Task { [weak self] in
            do { try await clock.sleep(for: .seconds(clamping: seconds)) } catch { return }
            await self?.tick()
        }
    }

    func tick() {
        timerDeadline = nil
        feed(.tick)
    }

    // MARK: Calls handed to a queue

    func take(call id: String, queue: String, argument: String) async {
        restore()
        guard let q = queues[queue] else { _ = await core.hangup(id, cause: .temporaryFailure); return }
        let now = Date()
        var priority = q.priority
        if case .success(let a) = QueueArgument.parse(argument), let p = a.priority { priority = p }
        var assigned: [String] = []
        var customerName: String?
        let party = await core.callingParty(id)
        // The switch looked the caller up as the call arrived (else: now).
        var data = await core.call(id)?.data ?? [:]
        if data["customer.number"] == nil, let party, let c = storage.customer(calling: party) {
            for (k, v) in c.callData.sorted(by: { $0.key < $1.key }) {
                data[k] = v
                try? await core.attach(id, key: k, value: v)
            }
        }
        if data["customer.number"] != nil {
            customerName = data["customer.name"]
            if let grade = data["customer.grade"], let p = q.gradePriority[grade] { priority = max(priority, p) }
            assigned = (data["customer.agent"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { agentConfigs[$0] != nil }
        }
        do {
            try await core.answer(id)
            try await core.attach(id, key: "queue", value: queue)
            try await core.play(id, prompts: ["queue-busy"], thenLoop: q.music)
            try await core.collectDigits(id)
        } catch {
            logger.warning("queue: call not taken", metadata: ["call.id": "\(id)", "queue": "\(queue)", "error": "\(error)"])
            _ = await core.hangup(id, cause: .temporaryFailure)
            return
        }
        callers[id] = Caller(queue: queue, arrival: now)
        numbers[id] = party?.digits ?? ""
        logger.info("queued", metadata: ["call.id": "\(id)", "queue": "\(queue)", "priority": "\(priority)",
                                         "customer": "\(customerName ?? "-")"])
        feed(.arrive(WorkItem(id: id, queue: queue, priority: priority, arrival: now, callerNumber: party?.digits ?? "",
                              customer: customerName, assignedAgents: assigned)))
    }

    // MARK: Views and agent control (control socket, CLI)

    public func agentIDs() -> [String] { acd.agentIDs }
    public func queueNames() -> [String] { acd.queueNames }
    public func agentStatus(_ id: String) -> AgentStatus? {
        restore()
        return acd.agentStatus(id, now: Date())
    }
    public func queueStatus(_ name: String) -> QueueStatus? {
        restore()
        return acd.queueStatus(name, now: Date())
    }

    /// An agent command from the control socket (`dialtone agents login 1001`…).
    public func command(agent id: String, _ command: AgentCommand) throws(CallControlError) -> AgentStatus {
        restore()
        guard acd.agentStatus(id, now: Date()) != nil else { throw .invalid("no agent \(id)") }
        if case .login = command, agentConfigs[id]?.station == .line, lines[id] == nil {
            throw .invalid("agent \(id) works on a persistent line: they log in by calling the agent line")
        }
        feed(.agent(id, command))
        return acd.agentStatus(id, now: Date())!
    }

    /// Checks the invariants (tests; `dialtone agents --check`).
    public func invariantViolations() -> [String] { acd.checkInvariants() }
}

/// A queue as the switch sees it: an application of its own name that hands its calls to the ACD.
public final class QueueEntry: HostedApplication {
    public let name: String
    let acd: ACDApplication
    public init(name: String, acd: ACDApplication) {
        self.name = name
        self.acd = acd
    }
    public func take(call: String, argument: String) async { await acd.take(call: call, queue: name, argument: argument) }
    public func run() async {}
}

/// The agent line as the switch sees it: agents call it, log in and stay on the line.
public final class AgentLineEntry: HostedApplication {
    public let name: String
    let acd: ACDApplication
    public init(name: String, acd: ACDApplication) {
        self.name = name
        self.acd = acd
    }
    public func take(call: String, argument: String) async { await acd.lineCall(call) }
    public func run() async {}
}

/// The ACD itself is hosted under a name no route can use: the daemon runs
/// it as a service (it follows the event stream and the agents' timers).
extension ACDApplication: HostedApplication {
    public nonisolated var name: String { ".acd" }
    public func take(call: String, argument: String) async { _ = await core.hangup(call, cause: .facilityNotImplemented) }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation

/// Call-centre figures for a period, computed from queue events (the
/// `queue_event` rows, or any list of ``QueueEvent``): per queue, per agent
/// and per hour of day. Times are in seconds. Definitions (docs/store.md
/// §Statistics):
///
/// - offered: ENTERQUEUE; answered: CONNECT; abandoned: ABANDON;
///   abandon rate: abandoned ÷ offered.
/// - service level: calls answered within N s (CONNECT hold time ≤ N) ÷
///   (answered + abandoned).
/// - ASA: mean CONNECT hold time. Longest wait: the longest hold or wait of
///   any CONNECT, ABANDON, EXIT…, OVERFLOW, CALLBACK or MESSAGE.
/// - AHT: (talk time + wrap-up time) ÷ calls completed; talk time is the
///   call time of COMPLETEAGENT, COMPLETECALLER and TRANSFER; wrap-up the
///   WRAPUP's seconds, cut short by the agent's next CONNECT, RINGNOANSWER,
///   PAUSE or AGENTLOGOFF and by the period's end.
/// - per agent: logged-in time from AGENTLOGIN to AGENTLOGOFF (an agent
///   whose first event in the period is another one was logged in at its
///   start; one still logged in at its end is counted to the end); pause time
///   from PAUSE to UNPAUSE or AGENTLOGOFF, by reason; occupancy: (talk +
///   wrap-up) ÷ logged-in time, and ÷ (logged-in − paused) time; missed
///   offers: RINGNOANSWER.
public struct QueueStatistics: Sendable, Codable, Equatable {
    public var from: Date
    public var to: Date
    /// N of the service level, seconds.
    public var serviceLevelSeconds: Double
    /// Every queue together (`queue` is `ALL`).
    public var total: QueueFigures
    /// Per queue, by name.
    public var queues: [QueueFigures]
    /// Per agent, by name.
    public var agents: [AgentFigures]
    /// Per hour of day (0–23 in the time zone given), hours with events only; empty unless asked for.
    public var hourly: [HourFigures]

    public struct QueueFigures: Sendable, Codable, Equatable {
        public var queue: String
        public var offered = 0
        public var answered = 0
        public var abandoned = 0
        public var abandonRate = 0.0
        public var answeredWithinServiceLevel = 0
        public var serviceLevel = 0.0
        public var asa = 0.0
        public var aht = 0.0
        public var completed = 0
        public var talkTime = 0.0
        public var wrapUpTime = 0.0
        public var longestWait = 0.0
        public var callbacks = 0
        public var messages = 0
        public var overflows = 0
        /// EXITWITHTIMEOUT, EXITWITHKEY, EXITFULL, EXITEMPTY.
        public var exits = 0
        public init(queue: String) { self.queue = queue }
    }

    public struct AgentFigures: Sendable, Codable, Equatable {
        public var agent: String
        public var answered = 0
        public var completed = 0
        public var talkTime = 0.0
        public var wrapUpTime = 0.0
        public var aht = 0.0
        public var loggedInTime = 0.0
        public var pausedTime = 0.0
        /// Pause time by reason ("" when none was given).
        public var pausedByReason: [String: Double] = [:]
        /// (talk + wrap-up) ÷ logged-in time.
        public var occupancy = 0.0
        /// (talk + wrap-up) ÷ (logged-in − paused) time.
        public var occupancyExcludingPause = 0.0
        public var missedOffers = 0
        public init(agent: String) { self.agent = agent }
    }

    public struct HourFigures: Sendable, Codable, Equatable {
        public var hour: Int
        public var total: QueueFigures
        public var queues: [QueueFigures]
    }

    /// The figures of `events` (those outside `from` ..< `to` are ignored),
    /// with the service level threshold `serviceLevel` seconds; `hourly` adds
    /// figures per hour of day in `timeZone`.
    public init(events all: [QueueEvent], from: Date, to: Date, serviceLevel: Double = 20, hourly: Bool = false,
                timeZone: TimeZone = .current) {
        let events = all.filter { $0.time >= from && $0.time < to }.sorted { $0.time < $1.time }
        self.from = from
        self.to = to
        serviceLevelSeconds = serviceLevel
        let wraps = Self.wrapUps(events, to: to)
        var queueOfCall: [String: String] = [:]
        for e in events where e.queue != "NONE" { queueOfCall[e.callID] = e.queue }
        func queue(_ e: QueueEvent) -> String {
            e.queue != "NONE" ? e.queue : queueOfCall[e.callID] ?? "NONE"
        }

        var total = QueueTally(), perQueue: [String: QueueTally] = [:]
        var perHour: [Int: (total: QueueTally, queues: [String: QueueTally])] = [:]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        for (i, e) in events.enumerated() {
            guard QueueTally.counts(e.kind) else { continue }
            let q = queue(e)
            total.add(e, wrap: wraps[i])
            if q != "NONE" { perQueue[q, default: QueueTally()].add(e, wrap: wraps[i]) }
            if hourly {
                let h = calendar.component(.hour, from: e.time)
                perHour[h, default: (QueueTally(), [:])].total.add(e, wrap: wraps[i])
                if q != "NONE" { perHour[h]!.queues[q, default: QueueTally()].add(e, wrap: wraps[i]) }
            }
        }
        self.total = total.figures("ALL", serviceLevel: serviceLevel)
        queues = perQueue.keys.sorted().map { perQueue[$0]!.figures($0, serviceLevel: serviceLevel) }
        self.hourly = perHour.keys.sorted().map { h in
            HourFigures(hour: h, total: perHour[h]!.total.figures("ALL", serviceLevel: serviceLevel),
                        queues: perHour[h]!.queues.keys.sorted().map { perHour[h]!.queues[$0]!.figures($0, serviceLevel: serviceLevel) })
        }
        agents = Self.agentFigures(events, wraps: wraps, from: from, to: to)
    }

    /// Each WRAPUP's effective length (by index into `events`), cut short by the agent's next activity.
    static func wrapUps(_ events: [QueueEvent], to: Date) -> [Int: Double] {
        var out: [Int: Double] = [:]
        var open: [String: Int] = [:]  // agent → index of the WRAPUP in progress
        let ends: Set<QueueEvent.Kind> = [.connect, .ringNoAnswer, .pause, .agentLogoff, .wrapUp]
        for (i, e) in events.enumerated() where e.agent != "NONE" {
            if ends.contains(e.kind), let w = open.removeValue(forKey: e.agent) {
                out[w] = min(out[w]!, e.time.timeIntervalSince(events[w].time))
            }
            if e.kind == .wrapUp {
                out[i] = min(e.number(0), to.timeIntervalSince(e.time))
                open[e.agent] = i
            }
        }
        return out
    }
}

extension QueueEvent {
    /// Data field `i` as a number of seconds (0 when absent or not a number).
    func number(_ i: Int) -> Double {
        i < data.count ? max(0, Double(data[i].trimmingCharacters(in: .whitespaces)) ?? 0) : 0
    }
}

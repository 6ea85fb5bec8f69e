// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneStore
import Foundation

/// `dialtone stats`: the daemon's counters (the default, as before), or
/// call-centre statistics from the store's queue events.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the running daemon's counters, or queue and agent statistics from the store.",
        subcommands: [StatsCounters.self, QueueStats.self, AgentStats.self],
        defaultSubcommand: StatsCounters.self)
}

/// The period and figures options `stats queues` and `stats agents` share.
struct StatsPeriod: ParsableArguments {
    @OptionGroup var store: StoreOption
    @Option(help: "Start of the period (ISO 8601: 2026-11-30, 2026-11-30T08:00, 2026-11-30T08:00:00Z; local time unless a zone is given). Default: today 00:00.")
    var from: String?
    @Option(help: "End of the period (excluded). Default: now.")
    var to: String?
    @Option(help: "Only this queue.")
    var queue: String?
    @Option(name: .customLong("service-level"), help: "Service level threshold in seconds: answered within N s.")
    var serviceLevel: Double = 20
    @Flag(help: "Figures per hour of day too.")
    var hourly = false
    @Flag(help: "Hours in UTC rather than local time.")
    var utc = false
    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard serviceLevel >= 0, serviceLevel <= 86_400 else { throw ValidationError("--service-level must be 0…86400 seconds") }
        _ = try period()
    }

    var timeZone: TimeZone { utc ? TimeZone(identifier: "UTC")! : .current }

    func period() throws -> (from: Date, to: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let now = Date()
        let start = try from.map { try Self.parse($0, "--from", timeZone) } ?? calendar.startOfDay(for: now)
        let end = try to.map { try Self.parse($0, "--to", timeZone) } ?? now
        guard start < end else { throw ValidationError("--from must be before --to") }
        guard start < now else { throw ValidationError("--from is in the future") }
        return (start, min(end, now))
    }

    static func parse(_ text: String, _ option: String, _ zone: TimeZone) throws -> Date {
        let withZone = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            withZone.formatOptions = options
            if let d = withZone.date(from: text) { return d }
        }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = zone
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"] {
            local.dateFormat = format
            if let d = local.date(from: text) { return d }
        }
        throw ValidationError("\(option) '\(text)' is not an ISO 8601 date or time (2026-11-30, 2026-11-30T08:00, 2026-11-30T08:00:00Z)")
    }

    func statistics() throws -> QueueStatistics {
        let db = try store.open(try store.loadConfig())
        let (start, end) = try period()
        let events = try storeCall { () throws(StoreError) in try db.queueEvents(from: start, to: end) }
        var s = QueueStatistics(events: events, from: start, to: end, serviceLevel: serviceLevel, hourly: hourly, timeZone: timeZone)
        if let queue {
            s.queues = s.queues.filter { $0.queue == queue }
            s.hourly = s.hourly.map { h in var h = h; h.queues = h.queues.filter { $0.queue == queue }; return h }
        }
        return s
    }

    func printJSON(_ value: some Encodable) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        print(String(decoding: try e.encode(value), as: UTF8.self))
    }

    var header: String {
        let f = ISO8601DateFormatter()
        f.timeZone = timeZone
        return (try? period()).map { "\(f.string(from: $0.from)) – \(f.string(from: $0.to))" } ?? ""
    }
}

func seconds(_ s: Double) -> String { String(format: "%.0f", s) }
func percent(_ r: Double) -> String { String(format: "%.1f%%", r * 100) }

struct QueueStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues",
        abstract: "Per-queue figures from the store: offered, answered, abandoned, service level, ASA, AHT, longest wait, callbacks, messages, overflows.")
    @OptionGroup var options: StatsPeriod

    func run() throws {
        let s = try options.statistics()
        if options.json { try options.printJSON(s); return }
        print("queues \(options.header), service level \(seconds(s.serviceLevelSeconds)) s")
        print(rows(options.queue == nil ? s.queues + [s.total] : s.queues, first: "QUEUE", name: \.queue))
        for h in s.hourly {
            print("")
            print(String(format: "%02d:00–%02d:00", h.hour, (h.hour + 1) % 24))
            print(rows(options.queue == nil ? h.queues + [h.total] : h.queues, first: "QUEUE", name: \.queue))
        }
    }

    func rows(_ figures: [QueueStatistics.QueueFigures], first: String, name: KeyPath<QueueStatistics.QueueFigures, String>) -> String {
        table([first, "OFFERED", "ANSWERED", "ABANDONED", "ABAND%", "SL%", "ASA", "AHT", "LONGEST", "CALLBACKS", "MESSAGES", "OVERFLOWS"],
              figures.map { [$0[keyPath: name], "\($0.offered)", "\($0.answered)", "\($0.abandoned)", percent($0.abandonRate),
                             percent($0.serviceLevel), seconds($0.asa), seconds($0.aht), seconds($0.longestWait),
                             "\($0.callbacks)", "\($0.messages)", "\($0.overflows)"] })
    }
}

struct AgentStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Per-agent figures from the store: calls answered, talk time, AHT, occupancy, pause time by reason, missed offers.")
    @OptionGroup var options: StatsPeriod
    @Option(help: "Only this agent.")
    var agent: String?

    func run() throws {
        var s = try options.statistics()
        if let agent { s.agents = s.agents.filter { $0.agent == agent } }
        if options.json { try options.printJSON(s.agents); return }
        print("agents \(options.header)")
        print(table(["AGENT", "ANSWERED", "TALK", "AHT", "LOGGED-IN", "PAUSED", "OCC%", "OCC-P%", "MISSED", "PAUSE BY REASON"],
                    s.agents.map { a in
                        [a.agent, "\(a.answered)", seconds(a.talkTime), seconds(a.aht), seconds(a.loggedInTime), seconds(a.pausedTime),
                         percent(a.occupancy), percent(a.occupancyExcludingPause), "\(a.missedOffers)",
                         a.pausedByReason.keys.sorted().map { "\($0.isEmpty ? "-" : $0)=\(seconds(a.pausedByReason[$0]!))" }.joined(separator: " ")]
                    }))
    }
}

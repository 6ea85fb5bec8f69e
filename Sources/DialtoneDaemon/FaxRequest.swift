// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A `fax …` or `inbox …` request line (docs/control-socket.md §Fax),
/// parsed without the daemon so the grammar is tested on its own.
public enum FaxRequest: Sendable, Equatable {
    case documents
    case jobs
    case show(String)
    case cancel(String)
    /// `fax send NUMBER DOC… [at=TIME]`
    case send(number: String, documents: [String], at: Date?)
    /// `fax broadcast DOC… (to=N,N,… | file=PATH) [at=TIME]`
    case broadcast(documents: [String], numbers: [String], file: String?, at: Date?)
    /// `inbox list [agent=ID] [queue=NAME] [all] [limit=N]`
    case inboxList(agent: String?, queue: String?, all: Bool, limit: Int)
    case inboxShow(String)
    /// `inbox done ID by=WHO`
    case inboxDone(String, by: String)

    public struct Failure: Error, Sendable, Equatable {
        public var message: String
        public var code = "invalid"
    }

    public static let faxCommands = ["documents", "jobs", "show", "cancel", "send", "broadcast"]
    public static let inboxCommands = ["list", "show", "done"]

    public static func parse(_ line: String) -> Result<FaxRequest, Failure> {
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let noun = words.first, noun == "fax" || noun == "inbox" else { return .failure(Failure(message: "not a fax or inbox request")) }
        words.removeFirst()
        var options: [String: String] = [:]
        var flags: Set<String> = []
        var args: [String] = []
        for w in words.dropFirst() {
            if let eq = w.firstIndex(of: "="), eq != w.startIndex { options[String(w[..<eq])] = String(w[w.index(after: eq)...]) }
            else if w == "all" && noun == "inbox" { flags.insert(w) }
            else { args.append(w) }
        }
        let command = words.first ?? ""
        func allowed(_ keys: [String]) -> Failure? {
            options.keys.sorted().first { !keys.contains($0) }.map { Failure(message: "'\(command)' takes no option '\($0)=' (options: \(keys.isEmpty ? "none" : keys.joined(separator: ", ")))") }
        }
        var at: Date?
        if let t = options["at"] {
            guard let d = ISO8601DateFormatter().date(from: t) else {
                return .failure(Failure(message: "at=\(t) is not a time in ISO 8601 with a zone (2026-12-01T14:30:00Z)"))
            }
            at = d
        }
        if noun == "fax" {
            switch command {
            case "documents", "jobs":
                if let f = allowed([]) { return .failure(f) }
                guard args.isEmpty else { return .failure(Failure(message: "'fax \(command)' takes no argument")) }
                return .success(command == "jobs" ? .jobs : .documents)
            case "show", "cancel":
                if let f = allowed([]) { return .failure(f) }
                guard args.count == 1 else { return .failure(Failure(message: "'fax \(command)' needs one job id")) }
                return .success(command == "show" ? .show(args[0]) : .cancel(args[0]))
            case "send":
                if let f = allowed(["at"]) { return .failure(f) }
                guard args.count >= 2 else { return .failure(Failure(message: "'fax send' needs a number and at least one document")) }
                return .success(.send(number: args[0], documents: Array(args.dropFirst()), at: at))
            case "broadcast":
                if let f = allowed(["at", "to", "file"]) { return .failure(f) }
                guard !args.isEmpty else { return .failure(Failure(message: "'fax broadcast' needs at least one document")) }
                let numbers = (options["to"] ?? "").split(separator: ",").map(String.init)
                guard !numbers.isEmpty || options["file"] != nil else {
                    return .failure(Failure(message: "'fax broadcast' needs to=NUMBER,NUMBER,… or file=PATH"))
                }
                return .success(.broadcast(documents: args, numbers: numbers, file: options["file"], at: at))
            default:
                return .failure(Failure(message: "unknown fax request '\(command)' (requests: \(faxCommands.joined(separator: ", ")))"))
            }
        }
        switch command {
        case "list":
            if let f = allowed(["agent", "queue", "limit"]) { return .failure(f) }
            guard args.isEmpty else { return .failure(Failure(message: "'inbox list' takes agent=, queue=, limit= and all")) }
            var limit = 100
            if let l = options["limit"] {
                guard let n = Int(l), (1...10_000).contains(n) else { return .failure(Failure(message: "limit=\(l) is not 1…10000")) }
                limit = n
            }
            return .success(.inboxList(agent: options["agent"], queue: options["queue"], all: flags.contains("all"), limit: limit))
        case "show":
            if let f = allowed([]) { return .failure(f) }
            guard args.count == 1 else { return .failure(Failure(message: "'inbox show' needs one id")) }
            return .success(.inboxShow(args[0]))
        case "done":
            if let f = allowed(["by"]) { return .failure(f) }
            guard args.count == 1, let by = options["by"], !by.isEmpty else {
                return .failure(Failure(message: "'inbox done' needs an id and by=WHO (an agent id or a name)"))
            }
            return .success(.inboxDone(args[0], by: by))
        default:
            return .failure(Failure(message: "unknown inbox request '\(command)' (requests: \(inboxCommands.joined(separator: ", ")))"))
        }
    }

    /// Numbers of a broadcast list file: one per line (or separated by
    /// commas or semicolons); `#` starts a comment; spaces, dashes, dots and
    /// parentheses inside a number are dropped.
    public static func numbers(fromList text: String) -> [String] {
        text.split(whereSeparator: { $0.isNewline || $0 == "," || $0 == ";" })
            .map { line in String(line.prefix { $0 != "#" }).filter { !" \t-.()/".contains($0) } }
            .filter { !$0.isEmpty }
    }
}

extension FaxRequest {
    /// A send time as people type it: ISO 8601 with a zone (`2026-12-01T14:30:00Z`),
    /// `YYYY-MM-DD HH:MM` or `HH:MM` in `zone` (`HH:MM` already past: tomorrow),
    /// or a delay `+90s`, `+30m`, `+2h`, `+1d`. Nil when it is none of these.
    public static func time(_ text: String, now: Date, zone: TimeZone = .current) -> Date? {
        if text.hasPrefix("+"), let unit = text.last, let n = Double(text.dropFirst().dropLast()), n >= 0 {
            let seconds: Double? = switch unit { case "s": 1; case "m": 60; case "h": 3600; case "d": 86_400; default: nil }
            return seconds.map { now.addingTimeInterval(n * $0) }
        }
        if let d = ISO8601DateFormatter().date(from: text) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd HH:mm"
        if let d = f.date(from: text) { return d }
        f.dateFormat = "HH:mm"
        guard text.count == 5, let t = f.date(from: text) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let hm = calendar.dateComponents([.hour, .minute], from: t)
        guard let today = calendar.date(bySettingHour: hm.hour!, minute: hm.minute!, second: 0, of: now) else { return nil }
        return today > now ? today : calendar.date(byAdding: .day, value: 1, to: today)
    }
}

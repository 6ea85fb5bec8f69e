// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneMedia
import Foundation
import Yams

extension ConfigLoader {
    static let promptKeys = ["directory", "language", "languages", "hold"]
    static let menuKeys = ["prompt", "language", "options", "collect", "first_digit_timeout", "inter_digit_timeout",
                           "retries", "invalid_prompt", "timeout_prompt", "failure"]
    static let collectKeys = ["variable", "min_digits", "max_digits", "terminator", "then"]
    static let scheduleKeys = ["open", "holidays", "timezone"]
    /// Seconds a menu waits for a digit.
    static let digitTimeout: ClosedRange<Double> = 0.5...3600
    /// Schedule dates (holidays) are in these years.
    static let holidayYears = 1970...2200
    static let actionKeys = ["menu", "route", "failure", "hangup", "schedule", "open", "closed", "application", "argument",
                             "language", "then"]

    /// Prompt names the configuration uses, with where (checked against the files at the end).
    struct PromptUse {
        var node: Node
        var key: String
        var name: String
        var language: String?
    }

    /// Everything the IVR sections refer to, checked once all are read.
    final class References {
        var prompts: [PromptUse] = []
        var menus: [(node: Node, key: String, name: String)] = []
        var schedules: [(node: Node, key: String, name: String)] = []
        /// `${name}` in route numbers, and the variables collect menus define.
        var variableUses: [(node: Node, key: String, name: String)] = []
        var variables: Set<String> = []
        /// Languages `{language: L}` actions switch to.
        var languageUses: [(node: Node, key: String, name: String)] = []
        /// `{application: NAME, argument: X}` actions and `application:` routes.
        var applications: [(node: Node, key: String, name: String, argument: String, argumentNode: Node?)] = []
        /// Group mailboxes' `queue:`.
        var mailboxQueues: [(node: Node, key: String, name: String)] = []
    }

    static func parsePrompts(_ node: Node, _ r: YAMLReader, configFile: String, _ refs: References) throws(ConfigError) -> PromptSettings {
        let m = try r.mapping(node, "prompts", allowed: promptKeys)
        var p = PromptSettings()
        if let v = m["directory"] { p.directory = try path(v.value, "prompts.directory", r) }
        if let v = m["hold"] { p.hold = try promptName(v.value, "prompts.hold", r, refs, language: nil) }
        if let v = m["language"] { p.language = try languageName(v.value, "prompts.language", r) }
        p.languages = [p.language]
        if let v = m["languages"] {
            for (i, n) in try r.sequence(v.value, "prompts.languages").enumerated() {
                let l = try languageName(n, "prompts.languages[\(i)]", r)
                if !p.languages.contains(l) { p.languages.append(l) }
            }
        }
        p.directory = resolve(p.directory, relativeTo: configFile)
        return p
    }

    /// A relative path taken from the configuration file's directory.
    static func resolve(_ path: String, relativeTo configFile: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = URL(fileURLWithPath: configFile).deletingLastPathComponent().path
        return base == "/" ? "/\(path)" : "\(base)/\(path)"
    }

    static func languageName(_ node: Node, _ key: String, _ r: YAMLReader) throws(ConfigError) -> String {
        let l = try r.string(node, key)
        guard !l.isEmpty, l.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw r.error(node, key, "'\(l)' is not a language name (a prompt set directory such as en, de, fr-ca)")
        }
        return l
    }

    static func promptName(_ node: Node, _ key: String, _ r: YAMLReader, _ refs: References,
                           language: String?) throws(ConfigError) -> String {
        let p = try r.string(node, key)
        guard !p.isEmpty, p.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw r.error(node, key, "'\(p)' is not a prompt name (the file name without .wav: lowercase letters, digits, '-', '_')")
        }
        refs.prompts.append(PromptUse(node: node, key: key, name: p, language: language))
        return p
    }

    static func parseMenus(_ node: Node, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> [String: MenuConfig] {
        guard case .mapping(let m) = node else {
            throw r.error(node, "menus", "expected a mapping of menu names to menus, got \(r.describe(node))")
        }
        var menus: [String: MenuConfig] = [:]
        for (k, v) in m {
            let name = k.string ?? ""
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw r.error(k, "menus", "'\(name)' is not a menu name: use letters, digits, '-' and '_'")
            }
            if menus[name] != nil { throw r.error(k, "menus.\(name)", "menu '\(name)' appears twice") }
            menus[name] = try parseMenu(v, name: name, r, refs)
        }
        return menus
    }

    static func parseMenu(_ node: Node, name: String, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> MenuConfig {
        let path = "menus.\(name)"
        guard case .mapping = node else { throw r.error(node, path, "expected a menu (a mapping with prompt and options or collect)") }
        let m = try r.mapping(node, path, allowed: menuKeys)
        let language = try m["language"].map { v throws(ConfigError) in try languageName(v.value, "\(path).language", r) }
        guard let promptNode = m["prompt"] else {
            throw r.error(node, "\(path).prompt", "missing required key 'prompt' (the prompt played on entry)")
        }
        var menu = MenuConfig(name: name, prompt: try promptName(promptNode.value, "\(path).prompt", r, refs, language: language),
                              language: language, line: node.mark?.line)
        if let v = m["first_digit_timeout"] { menu.firstDigitTimeout = try r.double(v.value, "\(path).first_digit_timeout", range: digitTimeout, unit: "seconds") }
        if let v = m["inter_digit_timeout"] { menu.interDigitTimeout = try r.double(v.value, "\(path).inter_digit_timeout", range: digitTimeout, unit: "seconds") }
        if let v = m["retries"] { menu.retries = try r.int(v.value, "\(path).retries", range: 0...20) }
        if let v = m["invalid_prompt"] {
            menu.invalidPrompt = try promptName(v.value, "\(path).invalid_prompt", r, refs, language: language)
        }
        if let v = m["timeout_prompt"] {
            menu.timeoutPrompt = try promptName(v.value, "\(path).timeout_prompt", r, refs, language: language)
        }
        if let v = m["failure"] { menu.failure = try action(v.value, "\(path).failure", r, refs) }
        switch (m["options"], m["collect"]) {
        case (_?, let c?):
            throw r.error(c.key, "\(path).collect", "a menu has either 'options' (one digit each) or 'collect' (an input), not both")
        case (nil, nil):
            throw r.error(node, "\(path).options", "missing 'options' (digit: action) or 'collect' (an input such as a customer number)")
        case (let o?, nil):
            guard case .mapping(let options) = o.value else {
                throw r.error(o.value, "\(path).options", "expected a mapping of digits to actions, e.g. \"1\": {menu: sales}")
            }
            for (k, v) in options {
                let key = k.string ?? ""
                guard key.count == 1, let digit = key.first, "0123456789*#".contains(digit) else {
                    throw r.error(k, "\(path).options", "'\(key)' is not a digit: options are single keys 0-9, \"*\" or \"#\" (quote * and #)")
                }
                if menu.options[digit] != nil { throw r.error(k, "\(path).options.\(key)", "option '\(key)' appears twice") }
                menu.options[digit] = try action(v, "\(path).options.\(key)", r, refs)
            }
        case (nil, let c?):
            menu.collect = try parseCollect(c.value, "\(path).collect", r, refs)
        }
        return menu
    }

    static func parseCollect(_ node: Node, _ path: String, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> CollectConfig {
        let m = try r.mapping(node, path, allowed: collectKeys)
        guard let v = m["variable"] else { throw r.error(node, "\(path).variable", "missing required key 'variable' (where the digits are kept)") }
        let variable = try r.string(v.value, "\(path).variable")
        guard NumberTemplate.isVariableName(variable) else {
            throw r.error(v.value, "\(path).variable", "'\(variable)' is not a variable name (letters, digits, '_')")
        }
        refs.variables.insert(variable)
        guard let maxNode = m["max_digits"] else { throw r.error(node, "\(path).max_digits", "missing required key 'max_digits'") }
        let maxDigits = try r.int(maxNode.value, "\(path).max_digits", range: 1...64)
        var minDigits = 1
        if let v = m["min_digits"] { minDigits = try r.int(v.value, "\(path).min_digits", range: 1...maxDigits) }
        var terminator: Character? = "#"
        if let v = m["terminator"] {
            if YAMLReader.isNull(v.value) {
                terminator = nil
            } else {
                let t = try r.string(v.value, "\(path).terminator")
                if t.isEmpty { return CollectConfig(variable: variable, minDigits: minDigits, maxDigits: maxDigits, terminator: nil,
                                                    then: try collectThen(m, node, path, r, refs)) }
                guard t.count == 1, let c = t.first, "*#".contains(c) else {
                    throw r.error(v.value, "\(path).terminator", "'\(t)' is not a terminator: \"#\", \"*\" or empty for none")
                }
                terminator = c
            }
        }
        return CollectConfig(variable: variable, minDigits: minDigits, maxDigits: maxDigits, terminator: terminator,
                             then: try collectThen(m, node, path, r, refs))
    }

    private static func collectThen(_ m: [String: (key: Node, value: Node)], _ node: Node, _ path: String, _ r: YAMLReader,
                                    _ refs: References) throws(ConfigError) -> IVRAction {
        guard let then = m["then"] else { throw r.error(node, "\(path).then", "missing required key 'then' (the action once the input is complete)") }
        return try action(then.value, "\(path).then", r, refs)
    }

    /// `repeat`, `back`, `hangup`, or one of {menu: M}, {route: "N"[, failure: ACTION]}, {hangup: PROMPT},
    /// {schedule: S, open: ACTION, closed: ACTION}, {application: NAME, argument: X}.
    static func action(_ node: Node, _ path: String, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> IVRAction {
        let forms = "repeat, back, hangup, {menu: NAME}, {route: \"NUMBER\", failure: ACTION}, {hangup: PROMPT}, {schedule: NAME, open: ACTION, closed: ACTION}"
        if case .scalar = node {
            switch try r.string(node, path) {
            case "repeat": return .repeatMenu
            case "back": return .back
            case "hangup": return .hangup(prompt: nil)
            case let other: throw r.error(node, path, "'\(other)' is not an action: \(forms)")
            }
        }
        let m = try r.mapping(node, path, allowed: actionKeys)
        if let f = m["failure"], m["route"] == nil {
            throw r.error(f.key, "\(path).failure", "'failure' goes with 'route' (what follows when the number does not answer)")
        }
        if let t = m["then"], m["language"] == nil {
            throw r.error(t.key, "\(path).then", "'then' goes with 'language' (what follows the change of language)")
        }
        if let v = m["language"] {
            let language = try languageName(v.value, "\(path).language", r)
            refs.languageUses.append((v.value, "\(path).language", language))
            let then = try m["then"].map { t throws(ConfigError) in try action(t.value, "\(path).then", r, refs) } ?? .repeatMenu
            return .language(language, then: then)
        }
        if let v = m["menu"] {
            let name = try r.string(v.value, "\(path).menu")
            refs.menus.append((v.value, "\(path).menu", name))
            return .menu(name)
        }
        if let v = m["route"] {
            let failure = try m["failure"].map { f throws(ConfigError) in try action(f.value, "\(path).failure", r, refs) }
            return .route(try routeNumber(v.value, "\(path).route", r, refs), failure: failure)
        }
        if let v = m["hangup"] { return .hangup(prompt: try promptName(v.value, "\(path).hangup", r, refs, language: nil)) }
        if let v = m["schedule"] {
            let name = try r.string(v.value, "\(path).schedule")
            refs.schedules.append((v.value, "\(path).schedule", name))
            guard let open = m["open"], let closed = m["closed"] else {
                throw r.error(node, "\(path).\(m["open"] == nil ? "open" : "closed")", "a schedule action needs both 'open' and 'closed' actions")
            }
            return .schedule(name, open: try action(open.value, "\(path).open", r, refs),
                             closed: try action(closed.value, "\(path).closed", r, refs))
        }
        if let v = m["application"] {
            let arg = try m["argument"].map { a throws(ConfigError) in try r.string(a.value, "\(path).argument") } ?? ""
            let name = try r.string(v.value, "\(path).application")
            refs.applications.append((v.value, "\(path).application", name, arg, m["argument"]?.value))
            return .application(name, argument: arg)
        }
        throw r.error(node, path, "not an action: \(forms)")
    }

    /// A number to dial: digits, `*`, `#` and `${variable}` (digits a collect
    /// menu gathered, e.g. "555${extension}").
    static func routeNumber(_ node: Node, _ path: String, _ r: YAMLReader, _ refs: References) throws(ConfigError) -> String {
        let s = try r.string(node, path)
        let pieces: [NumberTemplate.Piece]
        switch NumberTemplate.pieces(s) {
        case .success(let p): pieces = p
        case .failure(.unclosed): throw r.error(node, path, "'\(s)': '${' without '}' (a variable is written ${name})")
        case .failure(.badName(let name)): throw r.error(node, path, "'\(s)': '\(name)' is not a variable name (letters, digits, '_')")
        }
        var literalsDialable = true
        for piece in pieces {
            switch piece {
            case .variable(let name): refs.variableUses.append((node, path, name))
            case .literal(let c): literalsDialable = literalsDialable && "0123456789*#".contains(c)
            }
        }
        guard !s.isEmpty, literalsDialable else {
            throw r.error(node, path, "'\(s)' is not a dialable number (digits 0-9, * and #, and ${variable} for collected digits; quote it to keep leading zeros)")
        }
        return s
    }

    static func parseSchedules(_ node: Node, _ r: YAMLReader) throws(ConfigError) -> [String: ScheduleConfig] {
        guard case .mapping(let m) = node else {
            throw r.error(node, "schedules", "expected a mapping of schedule names to schedules, got \(r.describe(node))")
        }
        var out: [String: ScheduleConfig] = [:]
        for (k, v) in m {
            let name = k.string ?? ""
            let path = "schedules.\(name)"
            if out[name] != nil { throw r.error(k, path, "schedule '\(name)' appears twice") }
            let s = try r.mapping(v, path, allowed: scheduleKeys)
            var schedule = ScheduleConfig(name: name, open: [])
            if let tz = s["timezone"] {
                let id = try r.string(tz.value, "\(path).timezone")
                guard TimeZone(identifier: id) != nil else {
                    throw r.error(tz.value, "\(path).timezone", "'\(id)' is not a time zone (IANA names such as Europe/Berlin, America/New_York)")
                }
                schedule.timeZone = id
            }
            guard let open = s["open"] else {
                throw r.error(v, "\(path).open", "missing required key 'open' (a list like \"mon-fri 08:00-18:00\")")
            }
            for (i, n) in try r.sequence(open.value, "\(path).open").enumerated() {
                schedule.open.append(try interval(n, "\(path).open[\(i)]", r))
            }
            if let h = s["holidays"] {
                for (i, n) in try r.sequence(h.value, "\(path).holidays").enumerated() {
                    schedule.holidays.append(try date(n, "\(path).holidays[\(i)]", r))
                }
            }
            out[name] = schedule
        }
        return out
    }

    /// A real calendar date "YYYY-MM-DD" (proleptic Gregorian) in ``holidayYears``.
    static func date(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> DateComponents {
        let text = try r.string(node, path)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.map(\.count) == [4, 2, 2], parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            throw r.error(node, path, "'\(text)' is not a date (YYYY-MM-DD, quoted)")
        }
        guard holidayYears.contains(year) else {
            throw r.error(node, path, "'\(text)': the year is out of range \(holidayYears.lowerBound)…\(holidayYears.upperBound)")
        }
        guard (1...12).contains(month) else { throw r.error(node, path, "'\(text)': there is no month \(month) (01-12)") }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else {
            throw r.error(node, path, "'\(text)' is not a date: month \(month) of \(year) has \(days) days")
        }
        return DateComponents(year: year, month: month, day: day)
    }

    /// "mon-fri 08:00-18:00", "sat 09:00-12:30", "mon,wed 14:00-16:00", "sun 00:00-24:00".
    static func interval(_ node: Node, _ path: String, _ r: YAMLReader) throws(ConfigError) -> ScheduleConfig.Interval {
        let text = try r.string(node, path)
        let bad = "'\(text)' is not an opening interval: DAYS HH:MM-HH:MM, e.g. \"mon-fri 08:00-18:00\""
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { throw r.error(node, path, bad) }
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        var days: Set<Int> = []
        for item in parts[0].lowercased().split(separator: ",") {
            let ends = item.split(separator: "-").map { names.firstIndex(of: String($0)) }
            guard (1...2).contains(ends.count), let a = ends.first ?? nil, let b = ends.last ?? nil, a <= b else {
                throw r.error(node, path, bad + " (days: mon tue wed thu fri sat sun, ranges like mon-fri)")
            }
            for d in a...b { days.insert(d + 1) }
        }
        /// HH:MM, 00:00 to 24:00, as minutes after midnight.
        func minutes(_ s: Substring) -> Int? {
            let hm = s.split(separator: ":", omittingEmptySubsequences: false)
            guard hm.count == 2, hm.allSatisfy({ $0.count == 2 && $0.allSatisfy { ("0"..."9").contains($0) } }),
                  let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
            return h * 60 + m
        }
        let times = parts[1].split(separator: "-")
        guard times.count == 2, let from = minutes(times[0]), let to = minutes(times[1]), from < to else {
            throw r.error(node, path, bad + " (times 00:00-24:00, start before end)")
        }
        return .init(days: days, from: from, to: to)
    }

    /// Checks every menu, schedule and prompt the configuration refers to;
    /// prompt files are read and validated (a bad file is an error naming it).
    static func checkReferences(_ config: DialtoneConfig, _ refs: References, _ r: YAMLReader,
                                checkFiles: Bool) throws(ConfigError) {
        for (node, key, name) in refs.menus where config.menus[name] == nil {
            let known = config.menus.keys.sorted()
            var message = "no menu named '\(name)'"
            if let near = YAMLReader.closest(name, in: known) { message += "; did you mean '\(near)'?" }
            throw r.error(node, key, message + " (menus: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        for (node, key, name) in refs.variableUses where !refs.variables.contains(name) {
            let known = refs.variables.sorted()
            throw r.error(node, key, "no collect menu gathers '\(name)' (variables: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        for (node, key, name) in refs.languageUses where !config.prompts.languages.contains(name) {
            throw r.error(node, key, "prompt language '\(name)' is not in prompts.languages (\(config.prompts.languages.joined(separator: ", "))), so its set is not checked complete")
        }
        try checkApplications(config, refs, r)
        try checkMailboxQueues(config, refs, r)
        for (node, key, name) in refs.schedules where config.schedules[name] == nil {
            throw r.error(node, key, "no schedule named '\(name)' (schedules: \(config.schedules.keys.sorted().joined(separator: ", ")))")
        }
        guard checkFiles, !refs.prompts.isEmpty else { return }
        var checked: Set<String> = []
        for use in refs.prompts {
            let languages = use.language.map { [$0] } ?? config.prompts.languages
            for language in languages {
                let file = "\(config.prompts.directory)/\(language)/\(use.name).wav"
                guard checked.insert(file).inserted else { continue }
                guard FileManager.default.fileExists(atPath: file) else {
                    var hint = ""
                    if language == "en" { hint = " (`make prompts` generates the default English set)" }
                    throw r.error(use.node, use.key, "prompt '\(use.name)' (\(language)): \(file): no such file\(hint)")
                }
                do {
                    _ = try PromptLibrary.validated(file)
                } catch {
                    throw r.error(use.node, use.key, "prompt '\(use.name)' (\(language)): \(error)")
                }
            }
        }
    }
}

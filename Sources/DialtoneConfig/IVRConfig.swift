// The IVR part of the configuration: prompts, menus and schedules (docs/config.md §IVR).
// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Where prompt files are: `directory/LANGUAGE/NAME.wav`.
public struct PromptSettings: Sendable, Equatable {
    /// Relative paths are taken from the configuration file's directory.
    public var directory: String
    /// The language menus use unless they name another.
    public var language: String
    /// Every language whose set must be complete (the default language first).
    public var languages: [String]
    /// What a party on hold hears, in a loop (`prompts.hold`; when the
    /// default `hold` is not in the set, silence).
    public var hold: String = "hold"

    public init(directory: String = "prompts", language: String = "en", languages: [String]? = nil) {
        self.directory = directory
        self.language = language
        self.languages = languages ?? [language]
    }
}

/// What happens next in a call that Dialtone answered: the IVR's actions.
/// Applications (queues, voicemail, fax on demand) join as `application`.
public indirect enum IVRAction: Sendable, Equatable, CustomStringConvertible {
    /// Go to a menu.
    case menu(String)
    /// Leave the IVR: dial this number through the routing table; when it
    /// does not answer (busy, rejected, no circuit, no answer), `failure`
    /// takes the caller on (nil: the call clears with the failure's cause).
    case route(String, failure: IVRAction? = nil)
    /// Play the current menu again.
    case repeatMenu
    /// Go back to the menu before this one.
    case back
    /// Play a prompt (if any) and clear the call (normal clearing).
    case hangup(prompt: String?)
    /// Open or closed by a schedule (time of day, day of week, holidays).
    case schedule(String, open: IVRAction, closed: IVRAction)
    /// A call application registered with the switch by name (with an argument).
    case application(String, argument: String)
    /// The caller's prompt language from here on (one of `prompts.languages`;
    /// a menu that names its own language keeps it), then `then`.
    case language(String, then: IVRAction)

    public var description: String {
        switch self {
        case .menu(let m): "menu \(m)"
        case .route(let n, let f): "route \(n)" + (f.map { " (failure: \($0))" } ?? "")
        case .repeatMenu: "repeat"
        case .back: "back"
        case .hangup(let p): p.map { "hangup after \($0)" } ?? "hangup"
        case .schedule(let s, let o, let c): "schedule \(s) (open: \(o); closed: \(c))"
        case .application(let a, let arg): "\(a) \(arg)"
        case .language(let l, let then): "language \(l), then \(then)"
        }
    }
}

/// A number to dial with `${variable}` placeholders for collected digits
/// ("555${ext}"): the one parser the config check and the IVR share.
public enum NumberTemplate {
    public enum Piece: Equatable { case literal(Character), variable(String) }

    /// Letters, digits and '_' (collect variables and placeholders alike).
    public static func isVariableName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// The pieces of `template`, or why it is malformed.
    public static func pieces(_ template: String) -> Result<[Piece], TemplateError> {
        var out: [Piece] = [], rest = Substring(template)
        while !rest.isEmpty {
            guard rest.hasPrefix("${") else {
                out.append(.literal(rest.removeFirst()))
                continue
            }
            guard let close = rest.firstIndex(of: "}") else { return .failure(.unclosed) }
            let name = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close])
            guard isVariableName(name) else { return .failure(.badName(name)) }
            out.append(.variable(name))
            rest = rest[rest.index(after: close)...]
        }
        return .success(out)
    }

    /// `template` with each `${name}` replaced by its value (empty when unset).
    public static func expand(_ template: String, _ variables: [String: String]) -> String {
        guard case .success(let pieces) = pieces(template) else { return template }
        return pieces.map { piece in
            switch piece {
            case .literal(let c): String(c)
            case .variable(let name): variables[name] ?? ""
            }
        }.joined()
    }

    public enum TemplateError: Error, Equatable { case unclosed, badName(String) }
}

/// Input collection in a menu: N digits, optionally ended early by a terminator.
public struct CollectConfig: Sendable, Equatable {
    /// The call variable the digits are stored in (routing, screen pop, CDR).
    public var variable: String
    public var minDigits: Int
    public var maxDigits: Int
    /// Ends the input before `maxDigits` (not stored). Default `#`.
    public var terminator: Character?
    /// What happens once the input is complete.
    public var then: IVRAction

    public init(variable: String, minDigits: Int = 1, maxDigits: Int, terminator: Character? = "#", then: IVRAction) {
        self.variable = variable
        self.minDigits = minDigits
        self.maxDigits = maxDigits
        self.terminator = terminator
        self.then = then
    }
}

public struct MenuConfig: Sendable, Equatable {
    public var name: String
    /// Played on entry (and on repeat); digits interrupt it (barge-in).
    public var prompt: String
    /// Prompt language (default: prompts.language).
    public var language: String?
    /// Digit → action. Keys are single digits 0-9, * or #.
    public var options: [Character: IVRAction]
    /// Or collect input (then `options` is empty).
    public var collect: CollectConfig?
    /// Seconds after the prompt ends to wait for the first digit. Default 5.
    public var firstDigitTimeout: Double
    /// Seconds between digits of a collected input. Default 3.
    public var interDigitTimeout: Double
    /// How many times an invalid choice or a timeout replays the menu. Default 3.
    public var retries: Int
    public var invalidPrompt: String?
    public var timeoutPrompt: String?
    /// After the last retry. Default hangup.
    public var failure: IVRAction
    public var line: Int?

    public init(name: String, prompt: String, language: String? = nil, options: [Character: IVRAction] = [:],
                collect: CollectConfig? = nil, firstDigitTimeout: Double = 5, interDigitTimeout: Double = 3,
                retries: Int = 3, invalidPrompt: String? = nil, timeoutPrompt: String? = nil,
                failure: IVRAction = .hangup(prompt: nil), line: Int? = nil) {
        self.name = name
        self.prompt = prompt
        self.language = language
        self.options = options
        self.collect = collect
        self.firstDigitTimeout = firstDigitTimeout
        self.interDigitTimeout = interDigitTimeout
        self.retries = retries
        self.invalidPrompt = invalidPrompt
        self.timeoutPrompt = timeoutPrompt
        self.failure = failure
        self.line = line
    }
}

/// Opening hours: weekly intervals and holidays, in a time zone.
public struct ScheduleConfig: Sendable, Equatable {
    public struct Interval: Sendable, Equatable {
        /// ISO weekdays 1 (Monday) … 7 (Sunday).
        public var days: Set<Int>
        /// Minutes after midnight; `to` is exclusive.
        public var from: Int
        public var to: Int
        public init(days: Set<Int>, from: Int, to: Int) {
            self.days = days
            self.from = from
            self.to = to
        }
    }
    public var name: String
    public var open: [Interval]
    /// Closed all day (year, month, day in the schedule's time zone).
    public var holidays: [DateComponents]
    /// IANA name; nil = the host's local time.
    public var timeZone: String?

    public init(name: String, open: [Interval], holidays: [DateComponents] = [], timeZone: String? = nil) {
        self.name = name
        self.open = open
        self.holidays = holidays
        self.timeZone = timeZone
    }

    /// True when `date` falls in an opening interval and not on a holiday.
    public func isOpen(at date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? .current
        let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
        if holidays.contains(where: { $0.year == c.year && $0.month == c.month && $0.day == c.day }) { return false }
        let isoDay = ((c.weekday ?? 1) + 5) % 7 + 1  // Calendar: 1 = Sunday
        let minute = (c.hour ?? 0) * 60 + (c.minute ?? 0)
        return open.contains { $0.days.contains(isoDay) && minute >= $0.from && minute < $0.to }
    }
}

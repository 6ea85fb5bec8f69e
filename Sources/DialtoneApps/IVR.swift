// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSignalling
import DialtoneSwitch
import Foundation

/// The IVR: DTMF menus from the configuration (docs/config.md §IVR). It
/// handles menus, schedules, transfers and hang-ups itself, and hands
/// `application` actions to the applications registered with it by name.
public struct IVRApplication: CallApplications {
    public let menus: [String: MenuConfig]
    public let schedules: [String: ScheduleConfig]
    /// Further applications by name (queues, voicemail, fax on demand).
    public let named: [String: any CallApplications]

    public init(menus: [String: MenuConfig], schedules: [String: ScheduleConfig], named: [String: any CallApplications] = [:]) {
        self.menus = menus
        self.schedules = schedules
        self.named = named
    }

    public func session(for action: IVRAction, call: AppCallInfo) -> (any ApplicationSession)? {
        if case .application(let name, _) = action { return named[name]?.session(for: action, call: call) }
        return IVRSession(menus: menus, schedules: schedules, start: action, variables: call.variables)
    }
}

/// One caller in the IVR. Pure: digits, prompt ends and timers in; prompts,
/// timers, variables and the way out as commands.
public struct IVRSession: ApplicationSession {
    let menus: [String: MenuConfig]
    let schedules: [String: ScheduleConfig]
    let start: IVRAction

    /// Menus entered, the current one last (for `back`).
    private(set) var stack: [String] = []
    /// Invalid choices and timeouts in the current menu.
    private(set) var failures = 0
    /// Digits collected so far (collect menus).
    private(set) var input = ""
    private var token = 0
    /// The prompt playing and what follows it.
    private var playing: (token: Int, then: AfterPrompt)?
    /// The timer that counts (older ones are stale).
    private var timer: Int?
    private var done = false
    /// Where a transfer that fails takes the caller.
    private var transferFailure: IVRAction?
    /// Digits collected on the call (for `${name}` in route numbers).
    public private(set) var variables: [String: String]
    /// The caller's language, once chosen (`language` variable of the call).
    var language: String? { variables["language"] }

    enum AfterPrompt: Equatable {
        case waitForDigit        // the menu prompt: start the first-digit timer
        case replayMenu          // invalid/timeout prompt: play the menu again
        case hangUp              // a goodbye prompt
    }

    public init(menus: [String: MenuConfig], schedules: [String: ScheduleConfig], start: IVRAction,
                variables: [String: String] = [:]) {
        self.menus = menus
        self.schedules = schedules
        self.start = start
        self.variables = variables
    }

    /// `number` with each `${name}` replaced by the digits collected (empty when none were).
    public func expand(_ number: String) -> String { NumberTemplate.expand(number, variables) }

    var current: MenuConfig? { stack.last.flatMap { menus[$0] } }

    public mutating func handle(_ event: AppEvent, now: Date) -> [AppCommand] {
        if case .transferFailed(let cause) = event {
            guard done, let failure = transferFailure else { return [] }
            done = false
            transferFailure = nil
            return [.visit("failed:\(cause.rawValue)")] + run(failure, now: now)
        }
        guard !done else { return [] }
        switch event {
        case .started:
            return run(start, now: now)
        case .digit(let d):
            return digit(d, now: now)
        case .promptFinished(let t):
            guard let p = playing, p.token == t else { return [] }
            playing = nil
            switch p.then {
            case .waitForDigit: return startTimer(first: input.isEmpty)
            case .replayMenu: return playMenu()
            case .hangUp: return finish(.hangup(.normalClearing))
            }
        case .timer(let t):
            guard timer == t, playing == nil else { return [] }
            timer = nil
            return timedOut(now: now)
        case .transferFailed:
            return []  // handled above
        }
    }

    // MARK: Actions

    private mutating func run(_ action: IVRAction, now: Date) -> [AppCommand] {
        switch action {
        case .menu(let name):
            guard menus[name] != nil else { return finish(.hangup(.normalClearing)) }
            if stack.last != name { stack.append(name) }
            return enter()
        case .repeatMenu:
            return enter()
        case .back:
            if stack.count > 1 { stack.removeLast() }
            return enter()
        case .route(let template, let failure):
            transferFailure = failure
            let number = expand(template)
            return [.visit("route:\(number)")] + finish(.transfer(number: number))
        case .hangup(let prompt):
            guard let prompt else { return finish(.hangup(.normalClearing)) }
            return [.visit("hangup")] + play(prompt, then: .hangUp)
        case .schedule(let name, let open, let closed):
            let isOpen = schedules[name]?.isOpen(at: now) ?? false
            return [.visit("schedule:\(name):\(isOpen ? "open" : "closed")")] + run(isOpen ? open : closed, now: now)
        case .application:
            return finish(.handOver(action))
        case .language(let language, let then):
            variables["language"] = language
            return [.set(variable: "language", value: language), .visit("language:\(language)")] + run(then, now: now)
        }
    }

    /// Enters (or re-enters) the current menu: fresh counters, its prompt.
    private mutating func enter() -> [AppCommand] {
        guard let menu = current else { return finish(.hangup(.normalClearing)) }
        failures = 0
        input = ""
        return [.visit("menu:\(menu.name)")] + playMenu()
    }

    private mutating func playMenu() -> [AppCommand] {
        guard let menu = current else { return [] }
        input = ""
        return play(menu.prompt, then: .waitForDigit)
    }

    private mutating func play(_ prompt: String, then: AfterPrompt) -> [AppCommand] {
        token += 1
        timer = nil
        playing = (token, then)
        return [.play(prompt: prompt, language: current?.language ?? language, token: token)]
    }

    private mutating func startTimer(first: Bool) -> [AppCommand] {
        guard let menu = current else { return [] }
        token += 1
        timer = token
        return [.startTimer(token: token, seconds: first ? menu.firstDigitTimeout : menu.interDigitTimeout)]
    }

    private mutating func finish(_ command: AppCommand) -> [AppCommand] {
        done = true
        var out: [AppCommand] = []
        if playing != nil { out.append(.stopPrompt) }
        playing = nil
        timer = nil
        return out + [command]
    }

    // MARK: Input

    private mutating func digit(_ d: Character, now: Date) -> [AppCommand] {
        guard let menu = current else { return [] }
        var out: [AppCommand] = []
        if let p = playing {
            if p.then == .hangUp { return [] }  // the goodbye plays out
            out.append(.stopPrompt)             // barge-in
            playing = nil
        }
        timer = nil
        if let collect = menu.collect {
            if let t = collect.terminator, d == t {
                guard input.count >= collect.minDigits else { return out + invalid(now: now, digit: d) }
                return out + collected(collect, now: now)
            }
            guard d.isNumber || d == "*" || d == "#" else { return out + invalid(now: now, digit: d) }
            input.append(d)
            if input.count >= collect.maxDigits { return out + collected(collect, now: now) }
            return out + startTimer(first: false)
        }
        guard let action = menu.options[d] else { return out + invalid(now: now, digit: d) }
        return out + [.visit(String(d))] + run(action, now: now)
    }

    private mutating func collected(_ collect: CollectConfig, now: Date) -> [AppCommand] {
        let value = input
        input = ""
        variables[collect.variable] = value
        return [.set(variable: collect.variable, value: value), .visit("\(collect.variable)=\(value)")] + run(collect.then, now: now)
    }

    private mutating func timedOut(now: Date) -> [AppCommand] {
        guard let menu = current else { return [] }
        // A collected input that is long enough ends with the inter-digit timeout.
        if let collect = menu.collect, !input.isEmpty {
            if input.count >= collect.minDigits { return collected(collect, now: now) }
            return invalid(now: now, digit: nil)
        }
        failures += 1
        if failures > menu.retries { return [.visit("timeout")] + run(menu.failure, now: now) }
        input = ""
        guard let prompt = menu.timeoutPrompt else { return [.visit("timeout")] + playMenu() }
        return [.visit("timeout")] + play(prompt, then: .replayMenu)
    }

    /// An invalid choice (`digit`), or a collected input too short (nil).
    private mutating func invalid(now: Date, digit: Character?) -> [AppCommand] {
        guard let menu = current else { return [] }
        failures += 1
        input = ""
        let step = AppCommand.visit(digit.map { "invalid:\($0)" } ?? "invalid")
        if failures > menu.retries { return [step] + run(menu.failure, now: now) }
        guard let prompt = menu.invalidPrompt else { return [step] + playMenu() }
        return [step] + play(prompt, then: .replayMenu)
    }
}

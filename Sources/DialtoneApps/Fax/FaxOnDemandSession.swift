// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig

/// One caller of the fax-on-demand service, as a pure state machine: the
/// caller keys document numbers (each ended by `#`; a personal document
/// found by keyed digits asks for them next), `#` alone ends the choice,
/// then `1` receives the documents on this call or `2` keys a fax number
/// (ended by `#`) for a callback job. Events in, commands out; the hosted
/// application carries them out over the switch.
public struct FaxOnDemandSession: Sendable {
    public enum State: Sendable, Equatable {
        /// Keying a document number (`digits` so far).
        case choosing(digits: String)
        /// Keying the digits that find the customer of personal document `document`.
        case keyingCustomer(document: String, digits: String)
        /// 1: on this call, 2: to a fax number.
        case delivery
        case enteringNumber(digits: String)
        /// The order is out (the application plays the last prompt and clears or sends).
        case done
    }

    public enum Event: Sendable, Equatable {
        case started
        case digit(Character)
        /// The caller keyed nothing for the digit timeout.
        case timeout
    }

    /// How the chosen documents reach the caller.
    public enum Order: Sendable, Equatable {
        /// On this call: the caller presses start on their fax machine.
        case onThisCall(documents: [String], keyed: [String: String])
        /// A job to this number, with retries.
        case toNumber(String, documents: [String], keyed: [String: String])
    }

    public enum Command: Sendable, Equatable {
        /// Stop what plays, then play these prompts (the digit timer starts when they end).
        case play([String])
        /// (Re)start the digit timer.
        case startTimer
        /// Carry out the order (then the application speaks and clears).
        case order(Order)
        /// Say goodbye and clear.
        case goodbye
    }

    public private(set) var state: State = .choosing(digits: "")
    public private(set) var chosen: [String] = []
    public private(set) var keyed: [String: String] = [:]
    /// Timeouts and invalid entries in a row.
    public private(set) var misses = 0
    let config: FaxConfig
    let settings: ApplicationConfig.FaxOnDemandSettings
    public static let maxMisses = 3

    public init(config: FaxConfig, settings: ApplicationConfig.FaxOnDemandSettings) {
        self.config = config
        self.settings = settings
    }

    /// Prompts (prompts/en.txt).
    public enum Prompt {
        public static let welcome = "fax-welcome"
        public static let added = "fax-added"
        public static let noDocument = "fax-no-document"
        public static let enterCustomer = "enter-account"
        public static let delivery = "fax-delivery"
        public static let deliveryHere = "fax-delivery-here"
        public static let enterNumber = "fax-enter-number"
        public static let start = "fax-start"
        public static let queued = "fax-queued"
        public static let unavailable = "fax-unavailable"
        public static let invalid = "invalid"
        public static let timeout = "timeout"
        public static let all = [welcome, added, noDocument, enterCustomer, delivery, deliveryHere, enterNumber, start, queued, unavailable]
    }

    public mutating func handle(_ event: Event) -> [Command] {
        switch (state, event) {
        case (.done, _): return []
        case (_, .started): return [.play([Prompt.welcome])]
        case (_, .timeout): return missed([Prompt.timeout, currentPrompt])
        case (.choosing(let digits), .digit(let c)): return choosing(digits, c)
        case (.keyingCustomer(let doc, let digits), .digit(let c)):
            guard c == "#" else { state = .keyingCustomer(document: doc, digits: digits + String(c)); return [.startTimer] }
            guard !digits.isEmpty else { return missed([Prompt.invalid, Prompt.enterCustomer]) }
            keyed[doc] = digits
            return add(doc)
        case (.delivery, .digit(let c)):
            switch c {
            case "1":
                state = .done
                return [.order(.onThisCall(documents: chosen, keyed: keyed))]
            case "2" where settings.callback:
                state = .enteringNumber(digits: "")
                misses = 0
                return [.play([Prompt.enterNumber])]
            default:
                return missed([Prompt.invalid, deliveryPrompt])
            }
        case (.enteringNumber(let digits), .digit(let c)):
            guard c == "#" else {
                guard c.isNumber, digits.count < 20 else { return missed([Prompt.invalid, Prompt.enterNumber], resetTo: .enteringNumber(digits: "")) }
                state = .enteringNumber(digits: digits + String(c))
                return [.startTimer]
            }
            guard digits.count >= 3 else { return missed([Prompt.invalid, Prompt.enterNumber], resetTo: .enteringNumber(digits: "")) }
            state = .done
            return [.order(.toNumber(digits, documents: chosen, keyed: keyed))]
        }
    }

    /// What the caller is asked for now.
    var currentPrompt: String {
        switch state {
        case .choosing: chosen.isEmpty ? Prompt.welcome : Prompt.added
        case .keyingCustomer: Prompt.enterCustomer
        case .delivery: deliveryPrompt
        case .enteringNumber: Prompt.enterNumber
        case .done: Prompt.unavailable
        }
    }

    var deliveryPrompt: String { settings.callback ? Prompt.delivery : Prompt.deliveryHere }

    mutating func choosing(_ digits: String, _ c: Character) -> [Command] {
        guard c == "#" else {
            guard c.isNumber, digits.count < 6 else { return missed([Prompt.noDocument], resetTo: .choosing(digits: "")) }
            state = .choosing(digits: digits + String(c))
            return [.startTimer]
        }
        if digits.isEmpty {
            guard !chosen.isEmpty else { return missed([Prompt.invalid, Prompt.welcome]) }
            state = .delivery
            misses = 0
            return [.play([deliveryPrompt])]
        }
        guard let entry = config.entry(digits) else { return missed([Prompt.noDocument], resetTo: .choosing(digits: "")) }
        if case .personal(let p) = entry, case .digits = p.key, keyed[digits] == nil {
            state = .keyingCustomer(document: digits, digits: "")
            misses = 0
            return [.play([Prompt.enterCustomer])]
        }
        return add(digits)
    }

    mutating func add(_ document: String) -> [Command] {
        misses = 0
        if !chosen.contains(document) { chosen.append(document) }
        if chosen.count >= settings.maxDocuments {
            state = .delivery
            return [.play([Prompt.added, deliveryPrompt])]
        }
        state = .choosing(digits: "")
        return [.play([Prompt.added])]
    }

    /// A timeout or a wrong entry: say so and ask again, or give up after ``maxMisses``.
    mutating func missed(_ prompts: [String], resetTo: State? = nil) -> [Command] {
        misses += 1
        if let resetTo { state = resetTo }
        if case .choosing = state { state = .choosing(digits: "") }
        guard misses < Self.maxMisses else {
            state = .done
            return [.goodbye]
        }
        return [.play(prompts)]
    }
}

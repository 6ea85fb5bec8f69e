// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// One call in voice mail: a caller leaving a message, or a mailbox owner
/// hearing theirs. Pure (STYLE §9): keys, the ends of what it plays, the
/// results of what it asked for and timers go in; what to play, record,
/// store and check comes out as ``VoicemailAction``s, which
/// ``VoicemailApplication`` carries out with the call-control API. Time is
/// what the caller passes (`now`), so tests run it in virtual time.
public struct VoicemailSession: Sendable {
    /// What a greeting is for (Asterisk's unavail, busy, greet and temp).
    public enum Greeting: String, Sendable, CaseIterable { case unavailable, busy, name, temporary }

    /// A message as the owner hears it.
    public struct Envelope: Sendable, Equatable {
        public var path: String
        public var caller: String
        public var received: Date
        public init(path: String, caller: String, received: Date) {
            self.path = path
            self.caller = caller
            self.received = received
        }
    }

    public enum Input: Sendable, Equatable {
        /// The call was answered: leave a message (`busy`: the owner's line was busy) or log in.
        case started
        case digit(Character)
        /// The caller has been silent for the configured time (it ends a recording like `#`).
        case silence
        /// What was played last ended.
        case played
        /// The recording is closed and trimmed: its length (nil: nothing usable was recorded).
        case recorded(seconds: Double?)
        /// The PIN check's answer (with the mailbox's messages when right).
        case pin(PINResult)
        case timer(token: Int)
        /// The caller hung up.
        case hangup
    }

    public enum PINResult: Sendable, Equatable {
        case right(new: [Envelope], old: [Envelope])
        /// Wrong: `locked` when this failure locked the mailbox.
        case wrong(locked: Bool)
        /// The mailbox is locked (or unknown: the same answer, not to tell which mailboxes exist).
        case locked
    }

    public enum Action: Sendable, Equatable {
        /// Play prompts of the library, then a file (a greeting, a message), if any.
        case play([String], file: String?)
        case stopPlay
        /// Play what was just recorded (the review's "listen").
        case playRecording
        /// Play a message's file from this many seconds into it.
        case playFile(String, from: Double)
        /// Record the caller (a message or a greeting) until `stopRecording` or the hang-up.
        case record
        case stopRecording
        /// Keep what was recorded as a message (finalised, indexed, notified).
        case keepMessage
        /// Throw away what was recorded.
        case discardRecording
        /// What was recorded becomes the mailbox's greeting of this kind.
        case saveGreeting(Greeting)
        case removeGreeting(Greeting)
        case checkPIN(mailbox: String, pin: String)
        case changePIN(String)
        case markOld(path: String)
        case delete(path: String)
        /// Call the caller of a message back, connecting the owner (the session ends).
        case callBack(number: String)
        case startTimer(token: Int, seconds: Double)
        case hangup
        /// The session is over (after a hang-up, or the call handed on).
        case finished
    }

    /// The mailbox's own greetings on disk, as the application found them.
    public struct Greetings: Sendable, Equatable {
        public var files: [Greeting: String]
        public init(_ files: [Greeting: String] = [:]) { self.files = files }
    }

    public enum Mode: Sendable, Equatable {
        /// A caller leaves a message in `mailbox`; `busy`: the busy greeting applies.
        case leave(mailbox: String, busy: Bool)
        /// The owner logs in (mailbox known, or asked for).
        case login(mailbox: String?)
    }

    /// Where the session is; names follow Asterisk's app_voicemail flow.
    enum State: Equatable {
        case idle
        case greeting
        case beep(Purpose)      // "leave your message after the tone" and the beep: then it records
        case recording(Purpose)
        case closing(Purpose)   // stopped, waiting for `recorded`
        case review(Purpose, listening: Bool)
        case goodbye            // a last prompt, then the hang-up
        case askMailbox(String)
        case askPIN(mailbox: String, digits: String)
        case checking(mailbox: String)
        case mainMenu
        case message(Int, MessagePhase)
        case options
        case newPIN(first: String?, digits: String)
        case done
    }
    enum Purpose: Equatable { case message, greeting(Greeting) }
    /// A message: its envelope, then the file (playing since a time, from an offset: `*` rewinds), then its menu.
    enum MessagePhase: Equatable { case envelope, playing(since: Date, offset: Double), menu }

    public let mode: Mode
    public let maxSeconds: Double
    public let minSeconds: Double
    /// Seconds a menu waits for a key before it is played again (three times, then goodbye).
    public var menuTimeout: Double = 10
    var greetings: Greetings
    var mailboxFull: Bool
    var state: State = .idle
    /// Messages being heard (the folder chosen) and the rest.
    var newMessages: [Envelope] = []
    var oldMessages: [Envelope] = []
    var folder: [Envelope] = []
    var folderIsNew = true
    var token = 0
    var timer: Int?
    var retries = 0
    var pinTries = 0
    /// Logged in to this mailbox.
    public internal(set) var mailbox: String?
    /// Whether the recording open is a message left (kept on a hang-up).
    var recordingMessage = false
    /// The last few states, for diagnosis.
    public internal(set) var history: [String] = []

    public init(mode: Mode, maxSeconds: Double, minSeconds: Double, greetings: Greetings = Greetings(), mailboxFull: Bool = false) {
        self.mode = mode
        self.maxSeconds = maxSeconds
        self.minSeconds = minSeconds
        self.greetings = greetings
        self.mailboxFull = mailboxFull
    }

    /// The one place the state changes (with a short history).
    mutating func enter(_ s: State) {
        history.append("\(state) → \(s)")
        if history.count > 12 { history.removeFirst() }
        state = s
    }

    public var isFinished: Bool { state == .done }

    public mutating func handle(_ input: Input, now: Date) -> [Action] {
        if state == .done { return [] }
        if input == .hangup { return hungUp() }
        if case .timer(let t) = input {
            guard t == timer else { return [] }
            timer = nil
            return timedOut(now: now)
        }
        switch state {
        case .idle:
            guard input == .started else { return [] }
            switch mode {
            case .leave(let box, let busy): return greet(box, busy: busy)
            case .login(let box?): return askPIN(box)
            case .login(nil):
                enter(.askMailbox(""))
                return [.play(["vm-login"], file: nil)]
            }
        case .greeting, .beep:
            return leaving(input)
        case .recording, .closing, .review:
            return recordingInput(input, now: now)
        case .goodbye:
            if input == .played { enter(.done); return [.hangup, .finished] }
            return []
        default:
            return retrieval(input, now: now)
        }
    }

    // MARK: Leaving a message

    mutating func greet(_ box: String, busy: Bool) -> [Action] {
        if mailboxFull {
            enter(.goodbye)
            return [.play(["vm-full"], file: nil)]
        }
        enter(.greeting)
        if let t = greetings.files[.temporary] { return [.play([], file: t)] }
        if let g = greetings.files[busy ? .busy : .unavailable] { return [.play([], file: g)] }
        let who: [String] = box.map { "n-\($0)" }
        if let name = greetings.files[.name] {
            // The owner's recorded name stands for the number.
            return [.play(["vm-person"], file: name)]
        }
        return [.play(["vm-person"] + who + [busy ? "vm-busy" : "vm-unavailable"], file: nil)]
    }

    mutating func leaving(_ input: Input) -> [Action] {
        switch (state, input) {
        case (.greeting, .played):
            enter(.beep(.message))
            return [.play(["vm-intro", "beep"], file: nil)]
        case (.greeting, .digit("#")), (.beep(.message), .digit("#")):
            // Skip the greeting (Asterisk: `#` goes straight to the tone).
            enter(.beep(.message))
            return [.stopPlay, .play(["beep"], file: nil)]
        case (.greeting, .digit("*")), (.beep(.message), .digit("*")):
            // The owner, calling their own mailbox: log in.
            guard case .leave(let box, _) = mode else { return [] }
            return [.stopPlay] + askPIN(box)
        case (.beep(let p), .played):
            return startRecording(p)
        default:
            return []
        }
    }

    mutating func startRecording(_ purpose: Purpose) -> [Action] {
        enter(.recording(purpose))
        recordingMessage = purpose == .message
        return [.record, arm(maxSeconds)]
    }

    mutating func recordingInput(_ input: Input, now: Date) -> [Action] {
        switch (state, input) {
        case (.recording(let p), .digit("#")), (.recording(let p), .silence):
            timer = nil
            enter(.closing(p))
            return [.stopRecording]
        case (.closing(let p), .recorded(let seconds)):
            guard let seconds, seconds >= minSeconds else {
                recordingMessage = false
                if p == .message {
                    enter(.goodbye)
                    return [.discardRecording, .play(["vm-too-short", "vm-goodbye"], file: nil)]
                }
                return [.discardRecording] + options()
            }
            enter(.review(p, listening: false))
            return [.play(["vm-review"], file: nil), arm(menuTimeout)]
        case (.review(let p, _), .digit("1")):
            timer = nil
            recordingMessage = false
            if p == .message {
                enter(.goodbye)
                return [.stopPlay, .keepMessage, .play(["vm-saved-goodbye"], file: nil)]
            }
            guard case .greeting(let g) = p else { return [] }
            return [.stopPlay, .saveGreeting(g)] + options(["vm-greeting-saved"])
        case (.review(let p, _), .digit("2")):
            timer = nil
            enter(.review(p, listening: true))
            return [.stopPlay, .playRecording]
        case (.review(let p, _), .digit("3")):
            timer = nil
            recordingMessage = false
            enter(.beep(p))
            return [.stopPlay, .discardRecording, .play(["beep"], file: nil)]
        case (.review(let p, true), .played):
            enter(.review(p, listening: false))
            return [.play(["vm-review"], file: nil), arm(menuTimeout)]
        case (.review(_, false), .played):
            return []
        default:
            return []
        }
    }

    mutating func hungUp() -> [Action] {
        var out: [Action] = []
        switch state {
        case .recording(.message):
            // Hanging up ends the message; it is kept if long enough (the application checks).
            out = [.stopRecording, .keepMessage]
        case .closing(.message), .review(.message, _):
            out = [.keepMessage]
        case .recording(.greeting), .closing(.greeting), .review(.greeting, _):
            out = [.stopRecording, .discardRecording]
        default:
            break
        }
        enter(.done)
        return out + [.finished]
    }

    mutating func timedOut(now: Date) -> [Action] {
        switch state {
        case .recording(let p):
            // The longest message: it ends as if `#` was pressed.
            enter(.closing(p))
            return [.stopRecording]
        case .review(.message, _):
            retries += 1
            if retries >= 3 {
                enter(.goodbye)
                return [.keepMessage, .play(["vm-saved-goodbye"], file: nil)]
            }
            return [.play(["vm-review"], file: nil), arm(menuTimeout)]
        default:
            return menuTimedOut()
        }
    }

    mutating func arm(_ seconds: Double) -> Action {
        token += 1
        timer = token
        return .startTimer(token: token, seconds: seconds)
    }
}

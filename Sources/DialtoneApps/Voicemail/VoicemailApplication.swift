// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSwitch
import Foundation
import Logging

/// Voice mail: a long-lived application on the call-control platform. A
/// route or an IVR action hands it a call with an argument — a mailbox
/// (leave a message), `login` or `login NUMBER` (the owner hears their
/// messages). Each call runs a pure ``VoicemailSession``; this actor
/// carries out its actions with the call-control API only (answer, play,
/// collect digits, record, offer, hang up) and follows the event stream.
/// It keeps the message index in memory and writes every change through
/// ``VoicemailStorage`` (the store writer in the daemon).
public actor VoicemailApplication: HostedApplication {
    public nonisolated let name: String
    let config: VoicemailConfig
    let files: MailboxFiles
    let core: SwitchCore
    let storage: any VoicemailStorage
    let notifier: VoicemailNotifier
    let logger: Logger
    let clock: any Clock<Duration>
    let now: @Sendable () -> Date

    /// The index: every message by mailbox, oldest first.
    var messages: [String: [VoicemailMessage]] = [:]
    var states: [String: MailboxState] = [:]
    var prepared = false

    /// A call in voice mail.
    struct Caller {
        var session: VoicemailSession
        var mailbox: String
        var caller: String
        /// What the session's last `play` ends with (the switch's `prompt.finished` names it).
        var playing: String?
        /// The recording open or just closed, and what it is for.
        var recording: String?
        var recordingClosed = false
        /// The recording is a greeting (not a message).
        var greeting = false
        /// The message is to be kept once its recording is closed.
        var keep = false
        var received = Date()
        var timers: [Int: Task<Void, Never>] = [:]
    }
    var calls: [String: Caller] = [:]
    /// Where a group mailbox's messages go (the ACD: one work item each).
    let groupDelivery: (@Sendable (_ queue: String, _ message: VoicemailMessage) async -> Void)?

    public init(name: String, config: VoicemailConfig, directory: String, core: SwitchCore, storage: any VoicemailStorage,
                logger: Logger, notifier: VoicemailNotifier? = nil, clock: any Clock<Duration> = ContinuousClock(),
                now: @escaping @Sendable () -> Date = { Date() },
                groupDelivery: (@Sendable (_ queue: String, _ message: VoicemailMessage) async -> Void)? = nil) {
        self.groupDelivery = groupDelivery
        self.name = name
        self.config = config
        self.files = MailboxFiles(directory: directory)
        self.core = core
        self.storage = storage
        self.logger = logger
        self.notifier = notifier ?? VoicemailNotifier(application: name, config: config, events: core.events, logger: logger)
        self.clock = clock
        self.now = now
    }

    // MARK: Views (control socket, CLI, tests)

    /// A mailbox's messages (new and old), oldest first.
    public func messages(mailbox: String) -> [VoicemailMessage] {
        prepare()
        return messages[mailbox] ?? []
    }

    /// Every mailbox with its counts.
    public func mailboxes() -> [(number: String, owner: String, new: Int, old: Int, locked: Bool)] {
        prepare()
        return config.mailboxes.keys.sorted().map { n in
            let m = messages[n] ?? []
            return (n, config.mailboxes[n]?.owner ?? "", m.filter { $0.folder == .new }.count, m.filter { $0.folder == .old }.count,
                    isLocked(n))
        }
    }

    public func hasMailbox(_ box: String) -> Bool { config.mailboxes[box] != nil }

    /// The mailbox's PIN and lock state.
    public func state(mailbox: String) -> MailboxState? {
        prepare()
        return states[mailbox]
    }

    func isLocked(_ box: String) -> Bool { (states[box]?.lockedUntil).map { $0 > now() } ?? false }

    // MARK: Calls handed over

    public func take(call id: String, argument: String) async {
        prepare()
        guard let arg = VoicemailArgument.parse(argument) else {
            logger.warning("voice mail: bad argument", metadata: ["call.id": "\(id)", "argument": "\(argument)"])
            _ = await core.hangup(id, cause: .temporaryFailure)
            return
        }
        let caller = await core.callingParty(id)?.digits ?? ""
        let mode: VoicemailSession.Mode
        let box: String
        switch arg {
        case .leave(let b):
            let busy = await core.call(id)?.data["voicemail.reason"] == "busy"
            mode = .leave(mailbox: b, busy: busy)
            box = b
        case .login(let b):
            mode = .login(mailbox: b)
            box = b ?? ""
        }
        let mailbox = config.mailboxes[box]
        guard mailbox != nil || box.isEmpty else {
            _ = await core.hangup(id, cause: .unallocatedNumber)
            return
        }
        let limits: (max: Double, min: Double, count: Int) = mailbox.map(config.limits)
            ?? (config.maxMessageSeconds, config.minMessageSeconds, config.maxMessages)
        let full = (messages[box]?.count ?? 0) >= limits.count
        let session = VoicemailSession(mode: mode, maxSeconds: limits.max, minSeconds: limits.min,
                                       greetings: box.isEmpty ? .init() : files.greetings(box), mailboxFull: full)
        do {
            try await core.answer(id)
            try await core.collectDigits(id)
            try? await core.attach(id, key: "voicemail.mailbox", value: box)
        } catch {
            logger.warning("voice mail: call not answered", metadata: ["call.id": "\(id)", "error": "\(error)"])
            _ = await core.hangup(id, cause: .temporaryFailure)
            return
        }
        calls[id] = Caller(session: session, mailbox: box, caller: caller, received: now())
        logger.info("voice mail", metadata: ["call.id": "\(id)", "application": "\(name)", "mailbox": "\(box)",
                                             "mode": "\(mode)"])
        await feed(id, .started)
    }

    /// Hands the session an input and carries out its actions, in order.
    func feed(_ id: String, _ input: VoicemailSession.Input) async {
        guard var c = calls[id] else { return }
        let actions = c.session.handle(input, now: now())
        calls[id] = c
        for a in actions { await perform(a, call: id) }
    }

    // MARK: The event stream

    public func run() async {
        let events = core.events.subscribe()
        prepare()
        for await e in events {
            guard let id = e.call, calls[id] != nil else { continue }
            switch e.type {
            case .digits:
                for d in e.digits ?? "" { await feed(id, .digit(d)) }
            case .promptFinished:
                guard let expected = calls[id]?.playing, expected == (e.text ?? "") else { continue }
                calls[id]?.playing = nil
                await feed(id, .played)
            case .silence:
                await feed(id, .silence)
            case .recordingStopped:
                await recordingClosed(id, path: e.path)
            case .callEnded:
                await feed(id, .hangup)
                callGone(id)
            default:
                break
            }
        }
        for c in calls.values { for t in c.timers.values { t.cancel() } }
    }

    /// The call has ended: its session is over; a recording still closing is finished when the writer reports it.
    func callGone(_ id: String) {
        guard let c = calls[id] else { return }
        for t in c.timers.values { t.cancel() }
        if c.recording == nil { calls[id] = nil }
    }
}

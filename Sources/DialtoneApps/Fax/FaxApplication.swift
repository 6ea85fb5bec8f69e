// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneFax
import DialtoneSwitch
import Foundation
import Logging

/// The fax application: fax jobs (single, broadcast, on-demand callbacks)
/// dialled over a ``FaxLine``, received faxes indexed and exported to PDF,
/// personal documents rendered for callers. Its decisions are the pure
/// ``FaxScheduler``'s; this actor carries them out: places calls (one task
/// per call, at most `max_calls`), saves every change through ``FaxStorage``,
/// and sleeps until the scheduler's next deadline.
public actor FaxApplication {
    let config: FaxConfig
    let line: any FaxLine
    let storage: any FaxStorage
    let logger: Logger
    let clock: any Clock<Duration>
    let now: @Sendable () -> Date
    /// Where `fax.job`, `fax.attempt` and `inbox.new` are published (the switch's stream), if anywhere.
    let events: EventStream?
    var scheduler: FaxScheduler
    var started = false
    var timer: Task<Void, Never>?
    var timerDeadline: Date?
    /// How long ended jobs stay in memory (seconds).
    static let keepEnded: Double = 86_400
    /// Calls up: their tasks (a cancelled job hangs them up through the line).
    var calls: [FaxDestinationKey: Task<Void, Never>] = [:]
    /// Hands a fax received for a queue to the queue's agents (the ACD).
    var queueDelivery: (@Sendable (String, ReceivedFax) async -> Void)?

    public init(config: FaxConfig, line: any FaxLine, storage: any FaxStorage, logger: Logger,
                settings: FaxSchedulerSettings? = nil, events: EventStream? = nil,
                clock: any Clock<Duration> = ContinuousClock(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.events = events
        self.config = config
        self.line = line
        self.storage = storage
        self.logger = logger
        self.clock = clock
        self.now = now
        scheduler = FaxScheduler(settings: settings ?? FaxSchedulerSettings(maxCalls: config.maxCalls, attempts: config.attempts,
                                                                            retryDelay: config.retryDelay))
    }

    public var sendSettings: FaxSendSettings {
        FaxSendSettings(header: config.header, ident: config.ident, answerTimeout: config.answerTimeout)
    }

    /// Takes back the jobs the store holds (once; every request calls it first).
    public func start() {
        guard !started else { return }
        started = true
        let (jobs, destinations) = storage.openJobs()
        let actions = scheduler.restore(jobs: jobs, destinations: destinations, now: now())
        if !jobs.isEmpty { logger.notice("fax jobs restored", metadata: ["jobs": "\(jobs.count)"]) }
        perform(actions)
    }

    // MARK: Requests

    /// A job for `numbers` with `documents` (catalogue numbers or files), at
    /// `at` (nil: now). Documents are checked before anything is queued.
    public func submit(numbers: [String], documents: [String], at: Date? = nil, kind: FaxJob.Kind? = nil,
                       origin: String = "cli") -> Result<FaxJob, FaxRequestError> {
        start()
        let refs: [FaxDocumentRef]
        switch resolve(documents) {
        case .success(let r): refs = r
        case .failure(let e): return .failure(e)
        }
        return submit(numbers: numbers, refs: refs, at: at, kind: kind, origin: origin)
    }

    /// A job for documents already made (a fax-on-demand order).
    public func submit(numbers: [String], refs: [FaxDocumentRef], at: Date? = nil, kind: FaxJob.Kind? = nil,
                       origin: String) -> Result<FaxJob, FaxRequestError> {
        start()
        let numbers = numbers.map { $0.filter { !" -()./".contains($0) } }
        guard !numbers.isEmpty else { return .failure(.invalid("no fax number")) }
        if let bad = numbers.first(where: { $0.isEmpty || $0.count > 32 || !$0.allSatisfy({ "0123456789*#".contains($0) }) }) {
            return .failure(.invalid("'\(bad)' is not a dialable number (digits 0-9, * and #)"))
        }
        guard !refs.isEmpty else { return .failure(.invalid("no document")) }
        let t = now()
        let job = FaxJob(id: newID(t), kind: kind ?? (numbers.count == 1 ? .single : .broadcast), documents: refs,
                         scheduled: at ?? t, created: t, origin: origin)
        let actions = scheduler.handle(.submit(job, numbers: numbers), now: t)
        if case .refused(let why)? = actions.first { return .failure(.invalid(why)) }
        logger.info("fax job queued", metadata: ["fax.job": "\(job.id)", "destinations": "\(numbers.count)",
                                                 "pages": "\(job.pages)", "at": "\(job.scheduled)"])
        perform(actions)
        return .success(scheduler.job(job.id)?.job ?? job)
    }

    /// Cancels a job: nothing more is dialled, calls up are cleared.
    public func cancel(job id: String) -> Result<FaxJob, FaxRequestError> {
        start()
        guard scheduler.job(id) != nil else { return .failure(.notFound("no fax job \(id) (finished jobs are in the store)")) }
        let actions = scheduler.handle(.cancel(job: id), now: now())
        if case .refused(let why)? = actions.first { return .failure(.conflict(why)) }
        logger.notice("fax job cancelled", metadata: ["fax.job": "\(id)"])
        perform(actions)
        return .success(scheduler.job(id)!.job)
    }

    /// A job as the scheduler holds it (jobs since start), or nil.
    public func job(_ id: String) -> (job: FaxJob, destinations: [FaxDestination])? {
        start()
        return scheduler.job(id)
    }

    /// Jobs since start, oldest first.
    public func jobs() -> [FaxJob] {
        start()
        return scheduler.allJobs
    }

    // MARK: Carrying out the scheduler's actions

    func perform(_ actions: [FaxSchedulerAction]) {
        for action in actions {
            switch action {
            case .place(let key, let number, let documents, let attempt):
                logger.info("fax call placed", metadata: ["fax.job": "\(key.job)", "fax.destination": "\(key.index)",
                                                          "number": "\(number)", "attempt": "\(attempt)"])
                let line = self.line, settings = sendSettings, paths = documents.map(\.path)
                calls[key] = Task { [weak self] in
                    let outcome = await line.send(key, to: number, documents: paths, settings: settings)
                    await self?.callEnded(key, outcome)
                }
            case .hangUp(let key):
                let line = self.line
                Task { await line.hangUp(key) }
            case .saveJob(let job):
                storage.save(job: job)
                var e = SwitchEvent(.faxJob)
                e.text = job.id
                e.state = job.state.rawValue
                _ = events?.publish(e)
                if job.state.isFinal, job.ended != nil {
                    logger.notice("fax job ended", metadata: ["fax.job": "\(job.id)", "state": "\(job.state.rawValue)"])
                    // Jobs ended a day ago are the store's alone (`fax show` reads them there).
                    scheduler.forget(endedBefore: now().addingTimeInterval(-Self.keepEnded))
                }
            case .saveDestination(let d):
                storage.save(destination: d)
                if let result = d.result, d.ended != nil, d.state != .dialling, d.state != .pending {
                    var e = SwitchEvent(.faxAttempt)
                    e.text = d.job
                    e.number = d.number
                    e.state = d.state.rawValue
                    e.cause = result.cause
                    e.causeText = result.summary
                    _ = events?.publish(e)
                }
            case .refused(let why):
                logger.warning("fax scheduler refused an input", metadata: ["reason": "\(why)"])
            }
        }
        scheduleTimer()
    }

    func callEnded(_ key: FaxDestinationKey, _ outcome: FaxOutcome) {
        calls[key] = nil
        logger.info("fax call ended", metadata: ["fax.job": "\(key.job)", "fax.destination": "\(key.index)",
                                                 "result": "\(outcome.summary)"])
        perform(scheduler.handle(.callEnded(key, outcome), now: now()))
    }

    /// One sleeping task to the scheduler's next deadline.
    func scheduleTimer() {
        let next = scheduler.nextDeadline
        guard next != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = next
        guard let next else { timer = nil; return }
        let clock = self.clock
        let seconds = max(0, next.timeIntervalSince(now()))
        timer = Task { [weak self] in
            do { try await clock.sleep(for: .seconds(clamping: seconds)) } catch { return }
            await self?.tick()
        }
    }

    func tick() {
        timerDeadline = nil
        perform(scheduler.handle(.tick, now: now()))
    }

    /// `F` + UTC time + 4 random hex digits: sortable, readable on a command
    /// line, unique across restarts (checked against the jobs held).
    func newID(_ t: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        while true {
            let id = "F\(f.string(from: t))-\(String(UInt16.random(in: 0x1000...0xFFFF), radix: 16))"
            if scheduler.job(id) == nil { return id }
        }
    }
}

/// A fax request that cannot be carried out, typed for the control socket's 404/409/422.
public enum FaxRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(String)
    public var description: String {
        switch self { case .notFound(let s), .conflict(let s), .invalid(let s): s }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// What the fax scheduler needs to know from the configuration.
public struct FaxSchedulerSettings: Sendable, Equatable {
    /// Outbound fax calls up at once, over every job.
    public var maxCalls: Int
    /// Calls per destination at most (the first one included).
    public var attempts: Int
    /// Seconds between a failed attempt and the next.
    public var retryDelay: Double

    public init(maxCalls: Int = 4, attempts: Int = 3, retryDelay: Double = 300) {
        self.maxCalls = max(1, maxCalls)
        self.attempts = max(1, attempts)
        self.retryDelay = max(0, retryDelay)
    }
}

/// What goes into the scheduler.
public enum FaxSchedulerInput: Sendable, Equatable {
    /// A new job for these numbers (one for `single`/`onDemand`, many for `broadcast`).
    case submit(FaxJob, numbers: [String])
    /// The call placed for a destination ended.
    case callEnded(FaxDestinationKey, FaxOutcome)
    /// No more calls for the job: waiting destinations are cancelled, calls up are hung up.
    case cancel(job: String)
    /// Time passed (call at or after `nextDeadline`).
    case tick
}

/// What the owner carries out.
public enum FaxSchedulerAction: Sendable, Equatable {
    /// Place a call to `number` and transmit `documents` (attempt 1…); report `callEnded`.
    case place(FaxDestinationKey, number: String, documents: [FaxDocumentRef], attempt: Int)
    /// Hang up the call of a destination whose job was cancelled (its `callEnded` is still expected).
    case hangUp(FaxDestinationKey)
    /// Store the job's new state.
    case saveJob(FaxJob)
    /// Store the destination's new state.
    case saveDestination(FaxDestination)
    /// An input that could not be taken (duplicate job id, no numbers, unknown job…).
    case refused(String)
}

/// Fax jobs as a pure state machine on an injected clock: jobs wait for
/// their time, destinations for a free line (at most `maxCalls` calls up,
/// first come first served), failed attempts for their retry. Nothing inside
/// reads a clock, sleeps or does I/O: `handle(_:now:)` returns the actions,
/// and the owner calls `handle(.tick, now:)` at or after ``nextDeadline``.
///
/// Invariants (``checkInvariants()``): the calls up are exactly the
/// destinations `dialling`, never more than `maxCalls`; a destination waits
/// for a retry only with a timer; a final job has only final destinations.
public struct FaxScheduler: Sendable {
    public let settings: FaxSchedulerSettings
    var jobs: [String: FaxJob] = [:]
    var destinations: [String: [FaxDestination]] = [:]
    /// Destinations due, waiting for a line, in order.
    var ready: [FaxDestinationKey] = []
    var readyHead = 0
    var active: Set<FaxDestinationKey> = []
    var timers = FaxTimerHeap()
    var out: [FaxSchedulerAction] = []
    var now = Date.distantPast

    /// An empty scheduler, or one restored from the store (``restore(jobs:destinations:now:)``).
    public init(settings: FaxSchedulerSettings) {
        self.settings = settings
    }

    /// When the owner must call `handle(.tick, now:)` next (nil: nothing is timed).
    public var nextDeadline: Date? { timers.top.map { Date(timeIntervalSinceReferenceDate: $0.deadline) } }

    /// Calls up now.
    public var activeCalls: Int { active.count }

    /// A job and its destinations, as they stand.
    public func job(_ id: String) -> (job: FaxJob, destinations: [FaxDestination])? {
        jobs[id].map { ($0, destinations[id] ?? []) }
    }

    /// Every job, oldest first.
    public var allJobs: [FaxJob] { jobs.values.sorted { ($0.created, $0.id) < ($1.created, $1.id) } }

    /// Applies one input at `now` and returns what to do, in order.
    public mutating func handle(_ input: FaxSchedulerInput, now: Date) -> [FaxSchedulerAction] {
        self.now = now
        out.removeAll(keepingCapacity: true)
        switch input {
        case .submit(let job, let numbers): submit(job, numbers)
        case .callEnded(let key, let outcome): callEnded(key, outcome)
        case .cancel(let id): cancel(id)
        case .tick: break
        }
        fireTimers()
        dispatch()
        return out
    }

    // MARK: Inputs

    mutating func submit(_ job: FaxJob, _ numbers: [String]) {
        guard jobs[job.id] == nil else { return out.append(.refused("job \(job.id) exists already")) }
        guard !numbers.isEmpty else { return out.append(.refused("job \(job.id) has no destination")) }
        guard !job.documents.isEmpty else { return out.append(.refused("job \(job.id) has no document")) }
        guard job.kind == .broadcast || numbers.count == 1 else {
            return out.append(.refused("a \(job.kind.rawValue) job has one destination, not \(numbers.count)"))
        }
        var j = job
        j.state = .scheduled
        j.ended = nil
        jobs[j.id] = j
        destinations[j.id] = numbers.enumerated().map { FaxDestination(job: j.id, index: $0.offset, number: $0.element) }
        out.append(.saveJob(j))
        for d in destinations[j.id]! { out.append(.saveDestination(d)) }
        timers.push(j.scheduled.timeIntervalSinceReferenceDate, .jobDue(j.id))
    }

    mutating func callEnded(_ key: FaxDestinationKey, _ outcome: FaxOutcome) {
        guard active.remove(key) != nil, var d = destination(key), d.state == .dialling, var job = jobs[key.job] else {
            return out.append(.refused("no call up for \(key)"))
        }
        d.result = outcome
        d.ended = now
        if outcome.isSuccess {
            d.state = .sent
        } else if job.state == .cancelled {
            d.state = .cancelled
        } else if outcome.isRetryable, d.attempts < settings.attempts {
            d.state = .retryWait
            d.nextAttempt = now.addingTimeInterval(settings.retryDelay)
            timers.push(d.nextAttempt!.timeIntervalSinceReferenceDate, .retry(key, attempt: d.attempts))
        } else {
            d.state = .failed
        }
        set(d)
        if job.state == .cancelled, !(destinations[job.id] ?? []).contains(where: { $0.state == .dialling }) {
            job.ended = job.ended ?? now
            jobs[job.id] = job
            out.append(.saveJob(job))
        } else {
            finishIfDone(job.id)
        }
    }

    mutating func cancel(_ id: String) {
        guard var job = jobs[id] else { return out.append(.refused("no job \(id)")) }
        guard !job.state.isFinal else { return out.append(.refused("job \(id) is \(job.state.rawValue) already")) }
        job.state = .cancelled
        var calls = false
        for var d in destinations[id] ?? [] where !d.state.isFinal {
            if d.state == .dialling {
                calls = true
                out.append(.hangUp(d.key))
            } else {
                d.state = .cancelled
                d.nextAttempt = nil
                set(d)
            }
        }
        job.ended = calls ? nil : now
        jobs[id] = job
        out.append(.saveJob(job))
    }

    // MARK: Time and lines

    mutating func fireTimers() {
        let t = now.timeIntervalSinceReferenceDate
        while let top = timers.top, top.deadline <= t {
            _ = timers.pop()
            switch top.kind {
            case .jobDue(let id):
                guard var job = jobs[id], job.state == .scheduled else { continue }
                job.state = .active
                jobs[id] = job
                out.append(.saveJob(job))
                for d in destinations[id] ?? [] where d.state == .pending { ready.append(d.key) }
            case .retry(let key, let attempt):
                guard var d = destination(key), d.state == .retryWait, d.attempts == attempt else { continue }  // stale
                d.state = .pending
                d.nextAttempt = nil
                set(d)
                ready.append(key)
            }
        }
    }

    /// Places calls for due destinations while lines are free.
    mutating func dispatch() {
        while active.count < settings.maxCalls, readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            guard var d = destination(key), d.state == .pending, let job = jobs[key.job], job.state == .active else { continue }
            d.state = .dialling
            d.attempts += 1
            d.started = now
            d.ended = nil
            set(d)
            active.insert(key)
            out.append(.place(key, number: d.number, documents: job.documents, attempt: d.attempts))
        }
        if readyHead > 64, readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
    }

    mutating func finishIfDone(_ id: String) {
        guard var job = jobs[id], !job.state.isFinal, let ds = destinations[id], ds.allSatisfy(\.state.isFinal) else { return }
        let sent = ds.filter { $0.state == .sent }.count
        job.state = sent == ds.count ? .done : sent == 0 ? .failed : .partial
        job.ended = now
        jobs[id] = job
        out.append(.saveJob(job))
    }

    func destination(_ key: FaxDestinationKey) -> FaxDestination? {
        guard let ds = destinations[key.job], ds.indices.contains(key.index) else { return nil }
        return ds[key.index]
    }

    /// The one place a destination changes; every change is saved.
    mutating func set(_ d: FaxDestination) {
        destinations[d.job]![d.index] = d
        out.append(.saveDestination(d))
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

extension FaxScheduler {
    /// Takes back the jobs the store holds after a restart. Final jobs are
    /// kept for listing; a destination that was `dialling` when the daemon
    /// stopped lost its call: the attempt counts, and it is retried at once
    /// if attempts remain (failed otherwise, cause "interrupted"). Retries
    /// keep their time; a job whose time has passed is due at the first tick.
    /// Returns the saves the recovery made.
    public mutating func restore(jobs restored: [FaxJob], destinations restoredDestinations: [FaxDestination],
                                 now: Date) -> [FaxSchedulerAction] {
        self.now = now
        out.removeAll(keepingCapacity: true)
        var byJob: [String: [FaxDestination]] = [:]
        for d in restoredDestinations { byJob[d.job, default: []].append(d) }
        for job in restored.sorted(by: { ($0.created, $0.id) < ($1.created, $1.id) }) where self.jobs[job.id] == nil {
            let ds = (byJob[job.id] ?? []).sorted { $0.index < $1.index }
            guard ds.enumerated().allSatisfy({ $0.offset == $0.element.index }) else { continue }  // not ours to guess
            jobs[job.id] = job
            destinations[job.id] = ds
            switch job.state {
            case .scheduled:
                timers.push(job.scheduled.timeIntervalSinceReferenceDate, .jobDue(job.id))
            case .active, .cancelled:
                for var d in ds where !d.state.isFinal {
                    switch d.state {
                    case .dialling:
                        d.ended = now
                        d.result = FaxOutcome(call: .failed, t30Text: "interrupted: the daemon stopped during the call")
                        if job.state == .cancelled { d.state = .cancelled }
                        else if d.attempts < settings.attempts { d.state = .pending; ready.append(d.key) }
                        else { d.state = .failed }
                        set(d)
                    case .pending:
                        if job.state == .cancelled { d.state = .cancelled; set(d) } else { ready.append(d.key) }
                    case .retryWait:
                        if job.state == .cancelled { d.state = .cancelled; d.nextAttempt = nil; set(d) }
                        else { timers.push((d.nextAttempt ?? now).timeIntervalSinceReferenceDate, .retry(d.key, attempt: d.attempts)) }
                    default: break
                    }
                }
                if job.state == .cancelled, self.jobs[job.id]?.ended == nil {
                    var j = job
                    j.ended = now
                    jobs[job.id] = j
                    out.append(.saveJob(j))
                } else {
                    finishIfDone(job.id)
                }
            default: break
            }
        }
        dispatch()
        return out
    }

    /// Throws away final jobs that ended before `cutoff` (memory only; the store keeps them).
    public mutating func forget(endedBefore cutoff: Date) {
        for (id, job) in jobs where job.state.isFinal && (job.ended ?? .distantFuture) < cutoff {
            jobs[id] = nil
            destinations[id] = nil
        }
    }

    /// The invariants; a description of the first one broken, or nil.
    public func checkInvariants() -> String? {
        let dialling = Set(destinations.values.flatMap { $0 }.filter { $0.state == .dialling }.map(\.key))
        if dialling != active { return "calls up \(active.sorted { $0.description < $1.description }) ≠ destinations dialling \(dialling.count)" }
        if active.count > settings.maxCalls { return "\(active.count) calls up, more than \(settings.maxCalls)" }
        for (id, ds) in destinations {
            for d in ds where d.state == .retryWait {
                let timed = timers.entries.contains { if case .retry(d.key, d.attempts) = $0.kind { true } else { false } }
                if !timed { return "\(d.key) waits for a retry without a timer" }
            }
            if let job = jobs[id], job.state.isFinal, job.state != .cancelled, let d = ds.first(where: { !$0.state.isFinal }) {
                return "job \(id) is \(job.state.rawValue) but \(d.key) is \(d.state.rawValue)"
            }
            if let job = jobs[id], job.state == .cancelled, job.ended != nil, let d = ds.first(where: { !$0.state.isFinal }) {
                return "job \(id) ended cancelled but \(d.key) is \(d.state.rawValue)"
            }
        }
        return nil
    }
}

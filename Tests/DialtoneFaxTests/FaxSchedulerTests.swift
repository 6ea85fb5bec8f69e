// SPDX-License-Identifier: GPL-2.0-or-later
// The fax scheduler in virtual time: a far end per number decides how each
// call ends, calls last a fixed virtual time, the clock jumps to the next
// event. Nothing sleeps.
@testable import DialtoneFax
import Foundation
import Testing

/// Runs a scheduler against scripted far ends in virtual time.
struct FaxHarness {
    var scheduler: FaxScheduler
    var now = Date(timeIntervalSinceReferenceDate: 800_000_000)
    /// Calls up: when each ends and how.
    var calls: [(key: FaxDestinationKey, at: Date, outcome: FaxOutcome)] = []
    var placed: [(FaxDestinationKey, Date, Int)] = []
    var maxUp = 0
    var saved: [FaxDestination] = []
    var jobs: [FaxJob] = []
    /// How a number answers attempt n (1-based).
    var farEnd: (String, Int) -> FaxOutcome
    var callSeconds = 60.0

    init(_ settings: FaxSchedulerSettings, farEnd: @escaping (String, Int) -> FaxOutcome) {
        scheduler = FaxScheduler(settings: settings)
        self.farEnd = farEnd
    }

    mutating func apply(_ actions: [FaxSchedulerAction]) {
        for a in actions {
            switch a {
            case .place(let key, let number, _, let attempt):
                placed.append((key, now, attempt))
                calls.append((key, now.addingTimeInterval(callSeconds), farEnd(number, attempt)))
            case .hangUp(let key):
                if let i = calls.firstIndex(where: { $0.key == key }) {
                    calls[i].at = now
                    calls[i].outcome = FaxOutcome(call: .answered, cause: 16, t30Code: T30Code.callDropped, t30Text: "The call dropped prematurely")
                }
            case .saveDestination(let d): saved.append(d)
            case .saveJob(let j): jobs.append(j)
            case .refused(let why): Issue.record("refused: \(why)")
            }
        }
        maxUp = max(maxUp, scheduler.activeCalls)
        #expect(scheduler.checkInvariants() == nil)
    }

    mutating func handle(_ input: FaxSchedulerInput) { apply(scheduler.handle(input, now: now)) }

    /// Advances to the next call end or deadline until nothing is left (or `limit` steps).
    mutating func run(limit: Int = 10_000) {
        for _ in 0..<limit {
            let nextCall = calls.min { $0.at < $1.at }
            let deadline = scheduler.nextDeadline
            guard nextCall != nil || deadline != nil else { return }
            if let c = nextCall, deadline == nil || c.at <= deadline! {
                now = max(now, c.at)
                calls.removeAll { $0.key == c.key }
                handle(.callEnded(c.key, c.outcome))
            } else {
                now = max(now, deadline!)
                handle(.tick)
            }
        }
        Issue.record("did not settle")
    }
}

extension FaxOutcome {
    static func sent(_ pages: Int) -> FaxOutcome {
        FaxOutcome(call: .answered, t30Code: 0, t30Text: "OK", pages: pages, rate: 14400, ecm: true)
    }
    static let busy = FaxOutcome(call: .busy, cause: 17)
    static let noAnswer = FaxOutcome(call: .noAnswer, cause: 19)
}

@Suite struct FaxSchedulerTests {
    static let doc = [FaxDocumentRef(number: "1", name: "Prices", path: "/x/prices.tif", pages: 3)]

    static func job(_ id: String, _ kind: FaxJob.Kind = .broadcast, at: Date) -> FaxJob {
        FaxJob(id: id, kind: kind, documents: doc, scheduled: at, created: at)
    }

    @Test func broadcastToTwentyWithOneSilentAndOneBusy() {
        // 5550001…5550020; 5550007 never answers, 5550013 is busy twice then takes it.
        var h = FaxHarness(FaxSchedulerSettings(maxCalls: 4, attempts: 3, retryDelay: 300)) { number, attempt in
            switch number {
            case "5550007": .noAnswer
            case "5550013": attempt <= 2 ? .busy : .sent(3)
            default: .sent(3)
            }
        }
        let numbers = (1...20).map { String(format: "55500%02d", $0) }
        let start = h.now
        h.handle(.submit(Self.job("B1", at: start), numbers: numbers))
        h.run()
        guard let (job, ds) = h.scheduler.job("B1") else { Issue.record("no job"); return }
        #expect(job.state == .partial)
        #expect(h.maxUp == 4)
        #expect(ds.filter { $0.state == .sent }.count == 19)
        let silent = ds[6], busy = ds[12]
        #expect(silent.state == .failed && silent.attempts == 3 && silent.result?.call == .noAnswer)
        #expect(busy.state == .sent && busy.attempts == 3 && busy.result?.pages == 3 && busy.result?.ecm == true)
        // Retries came at least the delay after the failed attempt ended.
        let attempts = h.placed.filter { $0.0 == silent.key }.map(\.1)
        #expect(attempts.count == 3)
        for (a, b) in zip(attempts, attempts.dropFirst()) { #expect(b.timeIntervalSince(a) >= 60 + 300) }
        #expect(ds.filter { $0.index != 6 && $0.index != 12 }.allSatisfy { $0.attempts == 1 })
        #expect(h.jobs.last?.state == .partial && h.jobs.last?.ended != nil)
    }

    @Test func nothingIsPlacedBeforeTheScheduledTime() {
        var h = FaxHarness(FaxSchedulerSettings()) { _, _ in .sent(1) }
        let at = h.now.addingTimeInterval(3600)
        h.handle(.submit(Self.job("S1", .single, at: at), numbers: ["5551234"]))
        #expect(h.placed.isEmpty)
        #expect(h.scheduler.nextDeadline == at)
        h.now = at.addingTimeInterval(-1)
        h.handle(.tick)
        #expect(h.placed.isEmpty)
        h.run()
        #expect(h.placed.map(\.1) == [at])
        #expect(h.scheduler.job("S1")?.job.state == .done)
    }

    @Test func permanentFailuresAreNotRetried() {
        var h = FaxHarness(FaxSchedulerSettings(maxCalls: 2, attempts: 5, retryDelay: 10)) { number, _ in
            switch number {
            case "1": FaxOutcome(call: .failed, cause: 1)  // unallocated number
            case "2": FaxOutcome(call: .answered, t30Code: T30Code.rxIncapable, t30Text: "Far end is not able to receive")
            case "3": FaxOutcome(call: .answered, t30Code: 6, t30Text: "Failed to train with any of the compatible modems")
            default: FaxOutcome(call: .failed, cause: 34)  // no circuit: retried
            }
        }
        h.handle(.submit(Self.job("P", at: h.now), numbers: ["1", "2", "3", "4"]))
        h.run()
        let ds = h.scheduler.job("P")!.destinations
        #expect(ds.map(\.attempts) == [1, 1, 5, 5])
        #expect(ds.allSatisfy { $0.state == .failed })
        #expect(ds[1].result?.t30Code == 9)
        #expect(h.scheduler.job("P")?.job.state == .failed)
    }

    @Test func cancelStopsWaitingDestinationsAndHangsUpCalls() {
        var h = FaxHarness(FaxSchedulerSettings(maxCalls: 2)) { _, _ in .sent(1) }
        h.handle(.submit(Self.job("C", at: h.now), numbers: ["1", "2", "3", "4"]))
        #expect(h.scheduler.activeCalls == 2)
        h.handle(.cancel(job: "C"))
        #expect(h.scheduler.job("C")?.job.state == .cancelled)
        h.run()
        let ds = h.scheduler.job("C")!.destinations
        #expect(ds.map(\.state) == [.cancelled, .cancelled, .cancelled, .cancelled])
        #expect(h.placed.count == 2)
        #expect(h.scheduler.job("C")?.job.ended != nil)
        let again = h.scheduler.handle(.cancel(job: "C"), now: h.now)
        #expect(again.count == 1 && { if case .refused = again[0] { true } else { false } }())
    }

    @Test func aRestartRetriesTheCallsItInterrupted() {
        var h = FaxHarness(FaxSchedulerSettings(maxCalls: 3, attempts: 2, retryDelay: 60)) { _, _ in .sent(2) }
        h.handle(.submit(Self.job("R", at: h.now), numbers: ["1", "2", "3", "4", "5"]))
        let first = h.scheduler.job("R")!
        #expect(first.destinations.filter { $0.state == .dialling }.count == 3)
        // The daemon dies now: a new scheduler gets what the store holds.
        var again = FaxHarness(FaxSchedulerSettings(maxCalls: 3, attempts: 2, retryDelay: 60)) { _, _ in .sent(2) }
        again.now = h.now.addingTimeInterval(30)
        again.apply(again.scheduler.restore(jobs: [first.job], destinations: first.destinations, now: again.now))
        #expect(again.scheduler.activeCalls == 3)
        again.run()
        let ds = again.scheduler.job("R")!.destinations
        #expect(ds.allSatisfy { $0.state == .sent })
        #expect(ds.map(\.attempts) == [2, 2, 2, 1, 1])
        #expect(again.scheduler.job("R")?.job.state == .done)
    }

    @Test func aCallLostAtRestartWithNoAttemptLeftFails() {
        let now = Date(timeIntervalSinceReferenceDate: 1000)
        var s = FaxScheduler(settings: FaxSchedulerSettings(attempts: 1))
        let job = FaxJob(id: "X", kind: .single, documents: Self.doc, scheduled: now, created: now, state: .active)
        let d = FaxDestination(job: "X", index: 0, number: "1", state: .dialling, attempts: 1, started: now)
        let actions = s.restore(jobs: [job], destinations: [d], now: now.addingTimeInterval(5))
        #expect(s.job("X")?.destinations[0].state == .failed)
        #expect(s.job("X")?.job.state == .failed)
        #expect(actions.contains(.saveJob(s.job("X")!.job)))
        #expect(s.checkInvariants() == nil)
    }

    @Test func badSubmissionsAreRefused() {
        var s = FaxScheduler(settings: FaxSchedulerSettings())
        let now = Date(timeIntervalSinceReferenceDate: 0)
        #expect(s.handle(.submit(Self.job("A", at: now), numbers: []), now: now) == [.refused("job A has no destination")])
        #expect(s.handle(.submit(Self.job("A", .single, at: now), numbers: ["1", "2"]), now: now)
                == [.refused("a single job has one destination, not 2")])
        _ = s.handle(.submit(Self.job("A", at: now), numbers: ["1"]), now: now)
        #expect(s.handle(.submit(Self.job("A", at: now), numbers: ["1"]), now: now) == [.refused("job A exists already")])
        #expect(s.handle(.callEnded(FaxDestinationKey(job: "A", index: 5), .busy), now: now) == [.refused("no call up for A/5")])
    }

    /// Random far ends, random limits: the invariants hold after every input
    /// and every job ends with each destination sent or failed within its attempts.
    @Test(arguments: 1...20) func randomBroadcastsSettle(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let settings = FaxSchedulerSettings(maxCalls: Int.random(in: 1...6, using: &rng), attempts: Int.random(in: 1...4, using: &rng),
                                            retryDelay: Double.random(in: 0...600, using: &rng))
        var table: [String: [FaxOutcome]] = [:]
        let choices: [FaxOutcome] = [.sent(2), .busy, .noAnswer, FaxOutcome(call: .failed, cause: 1),
                                     FaxOutcome(call: .answered, t30Code: 49, t30Text: "dropped", pages: 1)]
        var h = FaxHarness(settings) { number, attempt in table[number]![min(attempt, 4) - 1] }
        var all: [(String, Int)] = []
        for j in 0..<Int.random(in: 1...5, using: &rng) {
            let numbers = (0..<Int.random(in: 1...15, using: &rng)).map { "\(j)-\($0)" }
            for n in numbers { table[n] = (0..<4).map { _ in choices.randomElement(using: &rng)! } }
            h.farEnd = { number, attempt in table[number]![min(attempt, 4) - 1] }
            h.handle(.submit(Self.job("J\(j)", at: h.now.addingTimeInterval(Double.random(in: 0...900, using: &rng))), numbers: numbers))
            all.append(("J\(j)", numbers.count))
        }
        h.run()
        for (id, n) in all {
            let (job, ds) = h.scheduler.job(id)!
            #expect(ds.count == n && job.state.isFinal)
            for d in ds {
                #expect(d.state == .sent || d.state == .failed)
                #expect((1...settings.attempts).contains(d.attempts))
                if d.state == .failed, d.attempts < settings.attempts { #expect(d.result?.isRetryable == false) }
            }
        }
        #expect(h.maxUp <= settings.maxCalls)
    }
}

/// SplitMix64 for reproducible runs.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

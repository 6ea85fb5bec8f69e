// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneAlarms
import DialtoneSwitch
import Foundation
import Logging
import Synchronization

/// The store's writer: takes call starts, CDRs and recording entries from
/// the switch without ever blocking it (an enqueue under a short lock), and
/// writes them in batches on its own thread. While the database is locked,
/// full or unwritable, each batch goes to the fsynced ``StoreJournal`` and is
/// replayed, once, when the database takes writes again; meanwhile alarms
/// say so. Nothing is dropped: what is neither in the database nor in the
/// journal is held in memory and retried, under the `journal-unwritable` alarm.
public final class StoreWriter: CallRecordSink, @unchecked Sendable {
    public let store: Store
    public let journal: StoreJournal
    private let alarms: AlarmBoard
    let logger: Logger
    /// The queue_log copy of queue events, written on this thread (nil: none).
    public let queueLog: QueueLogFile?
    /// Writer thread: whether the last queue_log append failed (logged once per outage).
    var queueLogFailing = false

    private struct Queue {
        var ops: [StoreOp] = []
        var acks: [@Sendable () -> Void] = []
        var stopping = false
        /// Enqueued but not yet in the database or the journal.
        var inFlight = 0
    }
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Writer-thread state.
    private var held: [StoreOp] = []          // in neither the database nor the journal
    private var live: Set<String> = []         // calls started, CDR not yet taken
    private var lastAlive = Date.distantPast
    private var opsSinceCheckpoint = 0
    private var failures = 0
    /// While degraded: when the database is tried again.
    private var nextRetry = Date.distantPast

    /// Counters for `dialtone stats`.
    public struct Counters: Sendable, Codable, Equatable {
        public var written = 0
        public var journaled = 0
        public var replayed = 0
        public var held = 0
        public var rejected = 0
    }
    private let counters = Mutex(Counters())
    public var statistics: Counters { counters.withLock { $0 } }

    /// How often a running call's `last_seen` is refreshed.
    public static let aliveInterval: TimeInterval = 5
    /// How long the writer waits before trying a failing database again (doubles up to 5 s).
    public static let retryInterval: TimeInterval = 0.5

    /// `queueLogPath`: where queue events are appended in Asterisk's queue_log format (nil: not written).
    public init(store: Store, journalPath: String, alarms: AlarmBoard, logger: Logger, queueLogPath: String? = nil) throws {
        self.store = store
        self.journal = try StoreJournal(path: journalPath)
        self.queueLog = queueLogPath.map { QueueLogFile(path: $0) }
        self.alarms = alarms
        self.logger = logger
    }

    // MARK: CallRecordSink (any thread, never blocks)

    public func callStarted(_ start: CallStart, durable: @escaping @Sendable () -> Void) {
        enqueue(.callStarted(start), then: durable)
    }
    /// Without an acknowledgement (tests).
    public func callStarted(_ start: CallStart) { enqueue(.callStarted(start)) }
    public func record(_ cdr: CDR) { enqueue(.cdr(cdr)) }
    public func recording(_ recording: RecordingRow) { enqueue(.recording(recording)) }

    /// Queues `op`; `then` runs on the writer thread once it is in the
    /// database or the journal (or, if neither takes it, held in memory).
    public func enqueue(_ op: StoreOp, then: (@Sendable () -> Void)? = nil) {
        queue.withLock {
            $0.ops.append(op)
            if let then { $0.acks.append(then) }
            $0.inFlight += 1
        }
        wake.signal()
    }

    // MARK: Life cycle

    /// Recovers what a previous run left (journal replayed, interrupted calls
    /// closed with their CDR), then starts the writer thread.
    public func start() {
        recover()
        let t = Thread { [self] in run() }
        t.name = "dialtone.store"
        thread = t
        t.start()
    }

    /// Writes what is queued and stops the thread; returns when every record
    /// is durable (in the database, or in the journal for the next start).
    public func stop() {
        guard thread != nil else { return }
        queue.withLock { $0.stopping = true }
        wake.signal()
        done.wait()
        thread = nil
    }

    /// True when nothing is queued and every record is in the database (tests, drain).
    public var isIdle: Bool {
        queue.withLock { $0.inFlight == 0 } && journal.size == 0 && held.isEmpty
    }

    /// Waits until every record handed over so far is durable (database or journal).
    public func waitDurable(timeout: Duration = .seconds(10)) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if queue.withLock({ $0.inFlight == 0 }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    // MARK: Writer thread

    private func recover() {
        let (ops, skipped) = journal.read()
        if skipped > 0 {
            logger.warning("journal: lines cut short by a crash skipped", metadata: ["journal": "\(journal.path)", "lines": "\(skipped)"])
        }
        if !ops.isEmpty {
            do {
                try store.apply(ops)
                try journal.clear()
                counters.withLock { $0.replayed += StoreOp.records(ops) }
                logger.notice("journal replayed into the database", metadata: ["records": "\(ops.count)"])
            } catch {
                // Left in the journal; the thread replays it when the database takes writes.
                raiseUnavailable("\(error)", full: (error as? StoreError)?.code == .full)
            }
        }
        do {
            let interrupted = try store.closeInterruptedCalls()
            for cdr in interrupted {
                logger.warning("call interrupted by an unclean stop; CDR written", metadata: [
                    "call.id": "\(cdr.callID)", "span": "\(cdr.inSpan)", "start": "\(cdr.startTime)", "last_seen": "\(cdr.endTime)"])
            }
            if !interrupted.isEmpty {
                logger.notice("interrupted calls closed", metadata: ["calls": "\(interrupted.count)"])
            }
        } catch {
            logger.error("interrupted calls not closed yet (database unavailable); retried at the next start",
                         metadata: ["error": "\(error)"])
        }
    }

    private func run() {
        while true {
            let timeout: DispatchTime
            if journal.size > 0 || !held.isEmpty {
                timeout = .now() + max(0, nextRetry.timeIntervalSinceNow)
            } else if !live.isEmpty {
                timeout = .now() + Self.aliveInterval
            } else {
                timeout = .distantFuture
            }
            _ = wake.wait(timeout: timeout)
            let (batch, acks, stopping) = queue.withLock { q -> ([StoreOp], [@Sendable () -> Void], Bool) in
                let b = q.ops, a = q.acks
                q.ops.removeAll(keepingCapacity: true)
                q.acks.removeAll(keepingCapacity: true)
                return (b, a, q.stopping)
            }
            for op in batch {
                switch op {
                case .callStarted(let s): live.insert(s.callID)
                case .cdr(let c): live.remove(c.callID)
                default: break
                }
            }
            var ops = batch
            if !live.isEmpty, Date().timeIntervalSince(lastAlive) >= Self.aliveInterval {
                lastAlive = Date()
                ops.append(.alive(lastAlive))
            }
            write(ops)
            appendQueueLog(batch)  // a copy, after the database or the journal has the events
            for ack in acks { ack() }
            queue.withLock { $0.inFlight -= batch.count }
            if stopping {
                // Anything that still reached neither: one last try at the journal.
                if !held.isEmpty, (try? journal.append(held)) != nil { held.removeAll() }
                if !held.isEmpty {
                    logger.critical("records lost at stop: neither the database nor the journal could take them",
                                    metadata: ["records": "\(held.count)"])
                }
                done.signal()
                return
            }
        }
    }

    /// Writes `ops` (after what waits in the journal or in memory): to the
    /// database when it takes them, else to the journal, else held.
    private func write(_ ops: [StoreOp]) {
        if journal.size > 0 || !held.isEmpty {
            // Degraded: between retries, records go straight to the journal
            // (no busy timeout to sit out for each batch).
            guard Date() >= nextRetry else {
                if !ops.isEmpty { keep(ops) }
                return
            }
            let (pending, _) = journal.read()
            let all = pending + held + ops
            do {
                try store.apply(all)
                try? journal.clear()
                let n = StoreOp.records(pending) + StoreOp.records(held)
                held.removeAll()
                counters.withLock { $0.replayed += n; $0.written += StoreOp.records(ops); $0.held = 0 }
                recovered(replayed: n)
                checkpointIfNeeded(all.count)
            } catch {
                if !isUnavailable(error) {
                    // A record the database refuses (not an outage): set it aside, keep the rest.
                    quarantine(all)
                    try? journal.clear()
                    held.removeAll()
                    counters.withLock { $0.held = 0 }
                    recovered(replayed: 0)
                    return
                }
                failed(error, ops)
            }
            return
        }
        guard !ops.isEmpty else { return }
        do {
            try store.apply(ops)
            counters.withLock { $0.written += StoreOp.records(ops) }
            checkpointIfNeeded(ops.count)
        } catch {
            failed(error, ops)
        }
    }

    private func failed(_ error: any Error, _ ops: [StoreOp]) {
        failures += 1
        nextRetry = Date().addingTimeInterval(min(5, Self.retryInterval * pow(2, Double(min(failures - 1, 4)))))
        let code = (error as? StoreError)?.code
        if !isUnavailable(error) {
            // Not the database being unavailable: find the record it refuses and set it aside.
            quarantine(ops)
            return
        }
        raiseUnavailable("\(error)", full: code == .full)
        keep(ops)
    }

    /// Into the journal (fsynced), or held in memory if the journal cannot take them.
    private func keep(_ ops: [StoreOp]) {
        guard !ops.isEmpty else { return }
        do {
            try journal.append(ops)
            counters.withLock { $0.journaled += StoreOp.records(ops) }
            alarms.raise(AlarmID(.journalInUse, journal.path), "records wait in the journal for the database")
            alarms.clear(AlarmID(.journalUnwritable, journal.path))
        } catch {
            held += ops
            counters.withLock { $0.held = StoreOp.records(held) }
            alarms.raise(AlarmID(.journalUnwritable, journal.path), "\(error); \(held.count) records held in memory")
            if error.isFull { alarms.raise(AlarmID(.diskFull, (journal.path as NSString).deletingLastPathComponent), "\(error)") }
        }
    }

    /// Locked, busy, full, read-only, I/O error, cannot open: the database is
    /// unavailable for now (journal and retry). Anything else is about a record.
    private func isUnavailable(_ error: any Error) -> Bool {
        guard let code = (error as? StoreError)?.code else { return true }
        return [.busy, .full, .ioError, .readOnly, .cannotOpen, .corrupt].contains(code) || code.rawValue == 6  // SQLITE_LOCKED
    }

    private func quarantine(_ ops: [StoreOp]) {
        for op in ops {
            do { try store.apply([op]) } catch {
                counters.withLock { $0.rejected += 1 }
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .millisecondsSince1970
                let line = (try? encoder.encode(op)).map { String(decoding: $0, as: UTF8.self) } ?? "\(op)"
                if let h = FileHandle(forWritingAtPath: journal.path + ".rejected") ?? {
                    _ = FileManager.default.createFile(atPath: journal.path + ".rejected", contents: nil)
                    return FileHandle(forWritingAtPath: journal.path + ".rejected")
                }() {
                    h.seekToEndOfFile()
                    h.write(Data((line + "\n").utf8))
                    try? h.synchronize()
                    try? h.close()
                }
                logger.error("record refused by the database; kept in the rejected file", metadata: [
                    "call.id": "\(op.callID ?? "-")", "error": "\(error)", "file": "\(journal.path).rejected"])
            }
        }
    }

    private func raiseUnavailable(_ detail: String, full: Bool) {
        let db = store.path ?? "memory"
        alarms.raise(AlarmID(.databaseUnavailable, db), detail)
        if full { alarms.raise(AlarmID(.diskFull, (db as NSString).deletingLastPathComponent), detail) }
    }

    private func recovered(replayed: Int) {
        failures = 0
        let db = store.path ?? "memory"
        if replayed > 0 {
            logger.notice("journal replayed into the database", metadata: ["records": "\(replayed)"])
        }
        alarms.clear(AlarmID(.databaseUnavailable, db))
        alarms.clear(AlarmID(.diskFull, (db as NSString).deletingLastPathComponent))
        alarms.clear(AlarmID(.journalInUse, journal.path))
        alarms.clear(AlarmID(.journalUnwritable, journal.path))
        checkpointIfNeeded(.max)
    }

    /// Checkpoints keep the WAL bounded (it grew unchecked after a full
    /// disk). In the steady state a passive one: the WAL is then reused
    /// from its start, not truncated and grown again (on ext4 each commit
    /// that grows the file costs a journal commit in its fsync, and the
    /// truncation one fsync more, while the calls whose start waits for the
    /// next commit wait too); after an outage (`.max`) a truncating one.
    private func checkpointIfNeeded(_ ops: Int) {
        opsSinceCheckpoint = ops == .max ? .max : opsSinceCheckpoint + ops
        guard opsSinceCheckpoint >= 200, let path = store.path else { return }
        var st = stat()
        guard stat(path + "-wal", &st) == 0, Int(st.st_size) > Store.walLimit / 2 || ops == .max else { return }
        if (try? store.checkpoint(truncate: ops == .max)) != nil { opsSinceCheckpoint = 0 }
    }
}

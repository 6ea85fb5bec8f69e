// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Logging
import Synchronization

/// What is wrong, and with what: an alarm's identity. Raising the same
/// alarm again while it is raised only updates its detail.
public struct AlarmID: Hashable, Sendable, Codable, CustomStringConvertible {
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A file system the daemon writes to is full (recordings, database, journal).
        public static let diskFull = Kind(rawValue: "disk-full")
        /// The database cannot be written (locked, full, I/O error): records go to the journal.
        public static let databaseUnavailable = Kind(rawValue: "database-unavailable")
        /// Records are held in the journal, waiting for the database.
        public static let journalInUse = Kind(rawValue: "journal-in-use")
        /// The journal itself cannot be written: records are held in memory only.
        public static let journalUnwritable = Kind(rawValue: "journal-unwritable")
        /// Recordings fail (cannot start, or lose audio).
        public static let recordingFailure = Kind(rawValue: "recording-failure")
        /// A span reports a line alarm (red, yellow, blue, loss of signal…).
        public static let spanAlarm = Kind(rawValue: "span-alarm")
        /// A span's D-channel (Q.921 link) is down.
        public static let dchannelDown = Kind(rawValue: "dchannel-down")
    }

    public var kind: Kind
    /// What it concerns: a span name, a directory, the database path.
    public var subject: String
    public init(_ kind: Kind, _ subject: String) {
        self.kind = kind
        self.subject = subject
    }
    public var description: String { "\(kind) \(subject)" }
}

/// One alarm with its raised (and, once it is over, cleared) time.
public struct Alarm: Sendable, Codable, Equatable {
    public var kind: String
    public var subject: String
    public var detail: String
    public var raised: Date
    public var cleared: Date?
    /// How many times the condition was reported while raised (calls that hit it…).
    public var count: Int
}

/// The daemon's alarm states. An alarm is logged once when it is raised and
/// once when it clears — never once per call — and listed by `dialtone
/// alarms` and `dialtone stats`. Thread-safe; cheap enough to call on every
/// failure (a lock and a dictionary look-up), never called from a media tick.
public final class AlarmBoard: Sendable {
    private struct State {
        var active: [AlarmID: Alarm] = [:]
        var history: [Alarm] = []
    }
    private let state = Mutex(State())
    private let observers = Mutex<[@Sendable (Alarm, Bool) -> Void]>([])
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Cleared alarms kept for listing.
    public static let historyLimit = 50

    public init(logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.logger = logger
        self.now = now
    }

    /// Raises `id` (logged once), or counts another report of a raised alarm.
    public func raise(_ id: AlarmID, _ detail: String) {
        let t = now()
        let isNew: Bool = state.withLock { s in
            if var a = s.active[id] {
                a.count += 1
                a.detail = detail
                s.active[id] = a
                return false
            }
            s.active[id] = Alarm(kind: id.kind.rawValue, subject: id.subject, detail: detail, raised: t, cleared: nil, count: 1)
            return true
        }
        if isNew, let a = state.withLock({ $0.active[id] }) { notify(a, true) }
        if isNew {
            logger.error("alarm raised", metadata: ["alarm": "\(id.kind)", "alarm.subject": "\(id.subject)", "detail": "\(detail)"])
        }
    }

    /// Clears `id` if raised (logged once).
    public func clear(_ id: AlarmID) {
        let t = now()
        let cleared: Alarm? = state.withLock { s in
            guard var a = s.active.removeValue(forKey: id) else { return nil }
            a.cleared = t
            s.history.append(a)
            if s.history.count > Self.historyLimit { s.history.removeFirst(s.history.count - Self.historyLimit) }
            return a
        }
        if let a = cleared {
            notify(a, false)
            logger.notice("alarm cleared", metadata: ["alarm": "\(id.kind)", "alarm.subject": "\(id.subject)",
                                                      "raised": "\(a.raised)", "reports": "\(a.count)"])
        }
    }

    /// Calls `observer` with each alarm raised (true) or cleared (false), on the thread that changed it.
    public func observe(_ observer: @escaping @Sendable (Alarm, Bool) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    private func notify(_ alarm: Alarm, _ raised: Bool) {
        for o in observers.withLock({ $0 }) { o(alarm, raised) }
    }

    /// Raises or clears `id`.
    public func set(_ id: AlarmID, _ raised: Bool, _ detail: @autoclosure () -> String) {
        if raised { raise(id, detail()) } else { clear(id) }
    }

    public func isRaised(_ id: AlarmID) -> Bool { state.withLock { $0.active[id] != nil } }

    /// Raised alarms, oldest first.
    public var active: [Alarm] { state.withLock { $0.active.values.sorted { $0.raised < $1.raised } } }

    /// Alarms cleared since start (the last ``historyLimit``), oldest first.
    public var cleared: [Alarm] { state.withLock { $0.history } }
}

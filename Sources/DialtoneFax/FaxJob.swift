// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// A document as a fax job carries it: what the catalogue calls it and the
/// TIFF-F file (1728 pixels wide, validated) the switch transmits.
public struct FaxDocumentRef: Sendable, Codable, Equatable, Hashable {
    /// The catalogue number (what a caller keys), or empty for a file given directly.
    public var number: String
    public var name: String
    /// The TIFF-F file sent.
    public var path: String
    public var pages: Int

    public init(number: String, name: String, path: String, pages: Int) {
        self.number = number
        self.name = name
        self.path = path
        self.pages = pages
    }
}

/// A fax job: one or more documents sent, at a scheduled time, to one
/// destination (`single`, `onDemand`) or to many (`broadcast`).
public struct FaxJob: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case single
        case broadcast
        /// Ordered by a caller of the fax-on-demand service for a callback.
        case onDemand = "on-demand"
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for its time.
        case scheduled
        /// Destinations are being dialled (or wait for a retry or a line).
        case active
        /// Every destination received the documents.
        case done
        /// Some destinations received them, others failed.
        case partial
        /// No destination received them.
        case failed
        case cancelled

        /// No more calls are made for the job.
        public var isFinal: Bool { self == .done || self == .partial || self == .failed || self == .cancelled }
    }

    public var id: String
    public var kind: Kind
    public var documents: [FaxDocumentRef]
    /// When the first calls may be placed.
    public var scheduled: Date
    public var created: Date
    public var state: State
    /// Who asked for it: `cli`, or the call id of a fax-on-demand caller.
    public var origin: String
    /// When the job reached a final state.
    public var ended: Date?

    public init(id: String, kind: Kind, documents: [FaxDocumentRef], scheduled: Date, created: Date,
                state: State = .scheduled, origin: String = "cli", ended: Date? = nil) {
        self.id = id
        self.kind = kind
        self.documents = documents
        self.scheduled = scheduled
        self.created = created
        self.state = state
        self.origin = origin
        self.ended = ended
    }

    /// Pages of one transmission (every document).
    public var pages: Int { documents.reduce(0) { $0 + $1.pages } }
}

/// One number of a job, with its attempts and the last attempt's result.
public struct FaxDestination: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for the job's time or a free line.
        case pending
        /// A call is up (dialling, or T.30 running).
        case dialling
        /// The last attempt failed in a way worth another; waits until `nextAttempt`.
        case retryWait = "retry-wait"
        /// T.30 completed with every page confirmed (completion code 0).
        case sent
        /// Out of attempts, or failed for good.
        case failed
        case cancelled

        public var isFinal: Bool { self == .sent || self == .failed || self == .cancelled }
    }

    public var job: String
    /// Position in the job (0-based), the destination's key with `job`.
    public var index: Int
    public var number: String
    public var state: State
    /// Calls placed so far.
    public var attempts: Int
    public var nextAttempt: Date?
    /// The last attempt's result (nil before the first ends).
    public var result: FaxOutcome?
    /// The last attempt's start and end.
    public var started: Date?
    public var ended: Date?

    public init(job: String, index: Int, number: String, state: State = .pending, attempts: Int = 0,
                nextAttempt: Date? = nil, result: FaxOutcome? = nil, started: Date? = nil, ended: Date? = nil) {
        self.job = job
        self.index = index
        self.number = number
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.result = result
        self.started = started
        self.ended = ended
    }

    public var key: FaxDestinationKey { FaxDestinationKey(job: job, index: index) }
}

/// Names one destination of one job.
public struct FaxDestinationKey: Sendable, Codable, Hashable, CustomStringConvertible {
    public var job: String
    public var index: Int
    public init(job: String, index: Int) {
        self.job = job
        self.index = index
    }
    public var description: String { "\(job)/\(index)" }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// An item's place in line: higher priority first, then earlier arrival, then entry order.
struct ItemKey: Comparable, Sendable, Hashable {
    var negPriority: Int
    var arrival: Double
    var seq: UInt64
    var slot: Int

    static func < (a: ItemKey, b: ItemKey) -> Bool {
        if a.negPriority != b.negPriority { return a.negPriority < b.negPriority }
        if a.arrival != b.arrival { return a.arrival < b.arrival }
        return a.seq < b.seq
    }
    static func == (a: ItemKey, b: ItemKey) -> Bool { a.seq == b.seq }
    func hash(into h: inout Hasher) { h.combine(seq) }
}

/// A free agent's place in a queue's choice order, computed from the
/// strategy when the agent becomes free (the inputs do not change while free).
struct FreeKey: Comparable, Sendable {
    var primary: Double
    var secondary: Double
    var member: Int
    var agent: Int

    static func < (a: FreeKey, b: FreeKey) -> Bool {
        if a.primary != b.primary { return a.primary < b.primary }
        if a.secondary != b.secondary { return a.secondary < b.secondary }
        return a.member < b.member
    }
    static func == (a: FreeKey, b: FreeKey) -> Bool { a.member == b.member && a.agent == b.agent }
}

/// An agent's membership of one queue, with its statistics there.
struct Membership: Sendable {
    var queue: Int
    /// Position in the queue's member order.
    var order: Int
    var skill: Int
    var calls = 0
    var talk = 0.0
    /// The key under which the agent sits in the queue's free set, while free.
    var freeKey: FreeKey?
}

/// One agent state transition, kept in a short history for diagnosis (STYLE §10).
public struct AgentTransition: Sendable, Equatable {
    public var time: Date
    public var from: AgentState
    public var to: AgentState
}

struct AgentRecord: Sendable {
    var settings: AgentSettings
    var state: AgentState = .loggedOut
    var station: Station
    var pendingPause: String?
    var pendingLogout = false
    var loginTime: Double?
    /// Last call end (or login, when no call since): the longest-idle order.
    var idleSince = 0.0
    var lastCallEnd: Double?
    /// Not offered anything before this (after a missed offer).
    var restUntil: Double?
    var wrapUntil: Double?
    var offerSlot: Int?
    var offerStart = 0.0
    var offerDeadline: Double?
    var busySlot: Int?
    var memberships: [Membership] = []
    /// Items assigned to this agent still in their assigned-only phase.
    var assigned = SortedChunks<ItemKey>()
    var calls = 0
    var talk = 0.0
    var misses = 0
    var totalMisses = 0
    var history: [AgentTransition] = []

    var isFree: Bool {
        if case .ready = state, restUntil == nil { return true }
        return false
    }
    var isLoggedIn: Bool {
        if case .loggedOut = state { return false }
        return true
    }
}

/// An item's stage, for its history.
public enum ItemStage: String, Sendable, Codable, Hashable {
    case waiting, scheduled, offered, dialling, connected
}

/// One stage change of an item, kept in a short history for diagnosis (STYLE §10).
public struct ItemTransition: Sendable, Equatable {
    public var time: Date
    public var from: ItemStage
    public var to: ItemStage
}

/// Where an item is in its life.
enum ItemPhase: Sendable, Equatable {
    /// In line, offerable.
    case waiting
    /// In line, not yet offerable (a callback before its due time or between attempts).
    case scheduled(due: Double)
    /// Rung at these agents' stations.
    case offered([Int])
    /// An agent accepted a callback; the customer is being dialled.
    case dialling(agent: Int)
    /// In conversation (out of line).
    case connected(agent: Int)

    var stage: ItemStage {
        switch self {
        case .waiting: return .waiting
        case .scheduled: return .scheduled
        case .offered: return .offered
        case .dialling: return .dialling
        case .connected: return .connected
        }
    }
}

struct ItemRecord: Sendable {
    var item: WorkItem { didSet { isCall = !item.kind.isDurable } }
    /// A caller on the line (not a callback or a message); kept in step with `item.kind`.
    private(set) var isCall: Bool
    var queue: Int
    var seq: UInt64
    var phase: ItemPhase = .waiting
    /// Offered only to its assigned agents (until `fallbackAt`).
    var assignedOnly = false
    var assigned: [Int] = []
    var entered: Double
    var originalPosition = 1
    var hops = 0
    var recording = false
    var maxWaitAt: Double?
    var fallbackAt: Double?
    var announceAt: Double?
    var expiresAt: Double?
    var connectedAt = 0.0
    var offerStart = 0.0
    /// In the queue's line set / its waiting (or the assigned agents') set.
    var inLine = false
    var inWaiting = false
    /// The last stage changes (at most 8), oldest first.
    var history: [ItemTransition] = []

    /// Where the record lives in the ACD's item table.
    var slot = 0

    var key: ItemKey {
        ItemKey(negPriority: -item.priority, arrival: item.arrival.timeIntervalSinceReferenceDate, seq: seq, slot: slot)
    }

    var offerKind: OfferKind {
        switch item.kind {
        case .call: return .call
        case .callback: return .callback
        case .message: return .message
        case .fax: return .fax
        }
    }

    init(item: WorkItem, queue: Int, seq: UInt64, entered: Double) {
        self.item = item
        self.isCall = !item.kind.isDurable
        self.queue = queue
        self.seq = seq
        self.entered = entered
    }
}

/// Per-queue counters since start (or restore); the statistics proper come from the queue log.
public struct QueueCounters: Sendable, Codable, Equatable {
    /// ENTERQUEUE events (an overflow into this queue counts here too).
    public var entered = 0
    /// CONNECT events.
    public var answered = 0
    /// Answered within `QueueSettings.serviceLevel` seconds of entering the queue.
    public var answeredWithinServiceLevel = 0
    /// ABANDON events.
    public var abandoned = 0
    /// EXITWITHTIMEOUT, EXITFULL and EXITEMPTY events.
    public var exited = 0
    public var callbacksRequested = 0
    public var callbacksExpired = 0
    public var messages = 0
    /// Sum and maximum of the waits of answered items (seconds); ASA = totalWait ÷ answered.
    public var totalWait = 0.0
    public var longestWait = 0.0
    public init() {}
}

struct QueueRecord: Sendable {
    var settings: QueueSettings
    /// Agent indices in member order.
    var members: [Int] = []
    var free = SortedChunks<FreeKey>()
    /// General-phase items that can be offered now.
    var waiting = SortedChunks<ItemKey>()
    /// Every item in line (waiting, scheduled, offered): positions.
    var line = SortedChunks<ItemKey>()
    var callsInLine = 0
    var loggedIn = 0
    /// Member order of the agent last offered an item (round-robin memory).
    var lastOffered = -1
    /// Average handle time (talk + wrap-up), exponentially weighted (α = 0.1); nil before the first call.
    var averageHandle: Double?
    var counters = QueueCounters()
}

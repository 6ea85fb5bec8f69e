// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Two legs of a call connected both ways. A small state machine of its
/// own: it is made active once and ended once; the switch maps it to a
/// media engine bridge while it is active.
public struct Bridge: Sendable, Equatable {
    public enum State: String, Sendable { case active, ended }
    public struct Transition: Sendable, Equatable {
        public var from: State
        public var to: State
        public var event: String
        public var at: Date
    }

    /// Unique within its call.
    public let id: Int
    public let a: Int
    public let b: Int
    public private(set) var state: State = .active
    public private(set) var history: [Transition] = []

    init(id: Int, _ a: Int, _ b: Int) {
        self.id = id
        self.a = a
        self.b = b
    }

    func contains(_ leg: Int) -> Bool { a == leg || b == leg }
    func peer(of leg: Int) -> Int? { a == leg ? b : b == leg ? a : nil }

    /// Ends the bridge; false when it had ended already.
    mutating func end(_ why: String, now: Date) -> Bool {
        guard state == .active else { return false }
        history.append(Transition(from: state, to: .ended, event: why, at: now))
        state = .ended
        return true
    }
}

/// N legs of a call that each hear all the others (the media engine mixes
/// N−1). Members join and leave; the conference closes when fewer than two remain.
public struct Conference: Sendable, Equatable {
    public enum State: String, Sendable { case open, closed }
    public struct Change: Sendable, Equatable {
        public var event: String
        public var members: [Int]
        public var at: Date
    }

    public private(set) var members: [Int] = []
    public private(set) var state: State = .open
    public private(set) var history: [Change] = []

    mutating func join(_ leg: Int, now: Date) -> Bool {
        guard state == .open, !members.contains(leg) else { return false }
        members.append(leg)
        record("leg \(leg) joined", now)
        return true
    }

    mutating func leave(_ leg: Int, now: Date) -> Bool {
        guard let i = members.firstIndex(of: leg) else { return false }
        members.remove(at: i)
        record("leg \(leg) left", now)
        return true
    }

    mutating func close(now: Date) {
        guard state == .open else { return }
        state = .closed
        record("closed", now)
    }

    private mutating func record(_ event: String, _ now: Date) {
        history.append(Change(event: event, members: members, at: now))
        if history.count > 10 { history.removeFirst() }
    }
}

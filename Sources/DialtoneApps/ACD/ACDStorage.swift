// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneSignalling
import Foundation

/// A customer as the ACD sees it: found by calling number when a call
/// arrives, attached to the call, and used for priority (grade) and
/// business routing (assigned agent).
public struct CustomerRecord: Sendable, Equatable {
    /// The normalised (E.164) number.
    public var number: String
    public var name: String
    public var grade: String
    public var notes: String
    /// Agent (or agents, comma-separated) who are offered this customer's calls first.
    public var agent: String
    public var fields: [String: String]

    public init(number: String, name: String = "", grade: String = "", notes: String = "", agent: String = "",
                fields: [String: String] = [:]) {
        self.number = number
        self.name = name
        self.grade = grade
        self.notes = notes
        self.agent = agent
        self.fields = fields
    }

    /// The customer as data attached to a call: `customer.number`, and
    /// `customer.name`, `.grade`, `.notes`, `.agent` and each free field when not empty.
    public var callData: [String: String] {
        var out = ["customer.number": number]
        for (k, v) in [("customer.name", name), ("customer.grade", grade), ("customer.notes", notes),
                       ("customer.agent", agent)] where !v.isEmpty { out[k] = v }
        for (k, v) in fields { out["customer.\(k)"] = v }
        return out
    }
}

/// What the ACD keeps outside itself: the queue log, its state across
/// restarts, and the customer table. The daemon gives it the store; tests
/// may give it memory. Every method returns at once (the store writer
/// queues and never loses a record).
public protocol ACDStorage: Sendable {
    func record(_ event: QueueEvent)
    func save(state: Data)
    func loadState() -> Data?
    func customer(calling: PartyNumber) -> CustomerRecord?
}

/// Storage in memory (tests, and a daemon without a database).
public final class MemoryACDStorage: ACDStorage, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [QueueEvent] = []
    private var state: Data?
    private var customers: [String: CustomerRecord] = [:]

    public init(customers: [CustomerRecord] = []) {
        for c in customers { self.customers[c.number] = c }
    }

    public func record(_ event: QueueEvent) { lock.withLock { events.append(event) } }
    public func save(state: Data) { lock.withLock { self.state = state } }
    public func loadState() -> Data? { lock.withLock { state } }
    public func customer(calling: PartyNumber) -> CustomerRecord? { lock.withLock { customers[calling.digits] } }
    public var recorded: [QueueEvent] { lock.withLock { events } }
}

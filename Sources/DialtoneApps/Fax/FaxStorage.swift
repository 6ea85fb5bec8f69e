// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneFax
import DialtoneSignalling
import Foundation

/// What the fax application keeps outside itself: its rows (through the
/// store writer, which never loses one) and the customer table for personal
/// documents. Every method returns at once or reads without waiting for writes.
public protocol FaxStorage: Sendable {
    func save(job: FaxJob)
    func save(destination: FaxDestination)
    func save(received: ReceivedFax)
    func markHandled(fax id: String, by: String, at: Date)
    /// Jobs not final and their destinations (at start).
    func openJobs() -> (jobs: [FaxJob], destinations: [FaxDestination])
    /// A received fax as stored.
    func received(_ id: String) -> ReceivedFax?
    /// The customer calling from `calling` (normalised like the ACD's lookup).
    func customer(calling: PartyNumber) -> CustomerRecord?
    /// The customer whose free field `field` is `value` (digits keyed in the IVR).
    func customer(field: String, value: String) -> CustomerRecord?
}

/// Storage in memory (tests, and a daemon without a database).
public final class MemoryFaxStorage: FaxStorage, @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [String: FaxJob] = [:]
    private var destinations: [FaxDestinationKey: FaxDestination] = [:]
    private var receivedFaxes: [String: ReceivedFax] = [:]
    private let customers: [CustomerRecord]

    public init(customers: [CustomerRecord] = [], jobs: [FaxJob] = [], destinations: [FaxDestination] = []) {
        self.customers = customers
        for j in jobs { self.jobs[j.id] = j }
        for d in destinations { self.destinations[d.key] = d }
    }

    public func save(job: FaxJob) { lock.withLock { jobs[job.id] = job } }
    public func save(destination: FaxDestination) { lock.withLock { destinations[destination.key] = destination } }
    public func save(received: ReceivedFax) { lock.withLock { receivedFaxes[received.id] = received } }
    public func markHandled(fax id: String, by: String, at: Date) {
        lock.withLock {
            guard var f = receivedFaxes[id], f.state != .done else { return }
            f.state = .done
            f.handledBy = by
            f.handledAt = at
            receivedFaxes[id] = f
        }
    }
    public func openJobs() -> (jobs: [FaxJob], destinations: [FaxDestination]) {
        lock.withLock {
            let open = jobs.values.filter { !$0.state.isFinal || ($0.state == .cancelled && $0.ended == nil) }
            let ids = Set(open.map(\.id))
            return (open, destinations.values.filter { ids.contains($0.job) })
        }
    }
    public func received(_ id: String) -> ReceivedFax? { lock.withLock { receivedFaxes[id] } }
    public func customer(calling: PartyNumber) -> CustomerRecord? { customers.first { $0.number == calling.digits } }
    public func customer(field: String, value: String) -> CustomerRecord? { customers.first { $0.fields[field] == value } }

    /// Everything saved (tests).
    public var savedJobs: [FaxJob] { lock.withLock { jobs.values.sorted { $0.id < $1.id } } }
    public func savedDestinations(job: String) -> [FaxDestination] {
        lock.withLock { destinations.values.filter { $0.job == job }.sorted { $0.index < $1.index } }
    }
    public var savedReceived: [ReceivedFax] { lock.withLock { receivedFaxes.values.sorted { $0.time < $1.time } } }
}

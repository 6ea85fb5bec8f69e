// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import DialtoneApps
import DialtoneConfig
import DialtoneSignalling
import DialtoneStore
import DialtoneSwitch
import Foundation
import Logging

/// The ACD's storage in the daemon: queue events and the ACD's state go
/// through the store writer (journaled, never lost, and to the queue_log
/// file); customers are read from the database by normalised calling number.
final class StoreACDStorage: ACDStorage, CustomerDirectory {
    static let stateKey = "acd"
    let store: Store
    let writer: StoreWriter
    let normaliser: NumberNormaliser
    let logger: Logger

    init(store: Store, writer: StoreWriter, normaliser: NumberNormaliser, logger: Logger) {
        self.store = store
        self.writer = writer
        self.normaliser = normaliser
        self.logger = logger
    }

    func record(_ event: QueueEvent) { writer.queueEvent(event) }

    func save(state: Data) { writer.acdSnapshot(key: Self.stateKey, json: String(decoding: state, as: UTF8.self)) }

    func loadState() -> Data? {
        do { return try store.acdSnapshot(key: Self.stateKey).map { Data($0.json.utf8) } } catch {
            logger.error("ACD state not read", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func customer(calling party: PartyNumber) -> CustomerRecord? {
        guard !party.digits.isEmpty else { return nil }
        do {
            guard let c = try store.lookup(number: party.digits, plan: party.plan, using: normaliser) else { return nil }
            return CustomerRecord(number: c.number, name: c.name, grade: c.grade, notes: c.notes, agent: c.agent, fields: c.fields)
        } catch {
            // A locked or broken database must not hold the call: it is queued without the record.
            logger.warning("customer lookup failed", metadata: ["number": "\(party.digits)", "error": "\(error)"])
            return nil
        }
    }

    /// The switch's lookup when a call arrives: the customer as the call's data.
    func customerData(calling party: PartyNumber) -> [String: String]? { customer(calling: party)?.callData }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneApps
import DialtoneConfig
import DialtoneFax
import DialtoneSignalling
import DialtoneStore
import Foundation
import Logging

/// The fax application's storage in the daemon: rows go through the store
/// writer (journaled, never lost while the database is locked); reads and
/// customer lookups go to the database.
final class StoreFaxStorage: FaxStorage {
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

    func save(job: FaxJob) { writer.fax(.job(job)) }
    func save(destination: FaxDestination) { writer.fax(.destination(destination)) }
    func save(received: ReceivedFax) { writer.fax(.received(received)) }
    func markHandled(fax id: String, by: String, at: Date) { writer.fax(.handled(id: id, by: by, at: at)) }

    func openJobs() -> (jobs: [FaxJob], destinations: [FaxDestination]) {
        do { return try store.openFaxJobs() } catch {
            logger.error("fax jobs not read; they are taken back at the next start", metadata: ["error": "\(error)"])
            return ([], [])
        }
    }

    func received(_ id: String) -> ReceivedFax? { try? store.receivedFax(id) }

    func customer(calling party: PartyNumber) -> CustomerRecord? {
        guard !party.digits.isEmpty else { return nil }
        return record { () throws(StoreError) in try store.lookup(number: party.digits, plan: party.plan, using: normaliser) }
    }

    func customer(field: String, value: String) -> CustomerRecord? {
        record { () throws(StoreError) in try store.customer(field: field, value: value) }
    }

    private func record(_ read: () throws(StoreError) -> Customer?) -> CustomerRecord? {
        do {
            guard let c = try read() else { return nil }
            return CustomerRecord(number: c.number, name: c.name, grade: c.grade, notes: c.notes, agent: c.agent, fields: c.fields)
        } catch {
            logger.warning("customer lookup for a fax failed", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

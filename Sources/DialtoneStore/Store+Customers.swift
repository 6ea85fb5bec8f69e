// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import Foundation
import GRDB

/// The customer table (docs/store.md §Customers). Reads never wait for the
/// writer (WAL); writes take the busy timeout the store was opened with.
extension Store {
    /// The customer calling from `number` (E.164 digits, already normalised), if known.
    public func customer(number: String) throws(StoreError) -> Customer? {
        try run("look up customer") { try writer.read { db in try Customer.fetchOne(db, key: number) } }
    }

    /// The customer calling from `digits` received with the Q.931
    /// type-of-number/plan octet `plan`, normalised by `normaliser` first:
    /// the lookup made when a call arrives.
    public func lookup(number digits: String, plan: Int, using normaliser: NumberNormaliser) throws(StoreError) -> Customer? {
        try customer(number: normaliser.normalise(digits: digits, plan: plan))
    }

    /// Inserts or replaces `customer` (by number).
    public func upsert(_ customer: Customer) throws(StoreError) {
        try upsert([customer])
    }

    /// Inserts or replaces every customer, in one transaction (all or none).
    public func upsert(_ customers: [Customer]) throws(StoreError) {
        guard !customers.isEmpty else { return }
        try run("write \(customers.count) customers") {
            try writer.write { db in for c in customers { try c.save(db) } }
        }
    }

    /// Removes the customer with `number`; false when there was none.
    @discardableResult
    public func deleteCustomer(number: String) throws(StoreError) -> Bool {
        try run("delete customer") { try writer.write { db in try Customer.deleteOne(db, key: number) } }
    }

    /// Customers ordered by number: `limit` of them from `offset` (all when `limit` is nil).
    public func customers(limit: Int? = nil, offset: Int = 0) throws(StoreError) -> [Customer] {
        try run("read customers") {
            try writer.read { db in
                let ordered = Customer.order(Column("number"))
                if let limit { return try ordered.limit(limit, offset: offset).fetchAll(db) }
                return try ordered.fetchAll(db)
            }
        }
    }

    /// How many customers there are.
    public func customerCount() throws(StoreError) -> Int {
        try run("count customers") { try writer.read { db in try Customer.fetchCount(db) } }
    }
}

extension Store {
    /// The customer whose free field `field` is `value` (the first by number): a
    /// personal fax document found by digits the caller keyed (e.g. an account number).
    public func customer(field: String, value: String) throws(StoreError) -> Customer? {
        try run("look up customer by \(field)") {
            try writer.read { db in
                try Customer.fetchOne(db, sql: "SELECT * FROM customer WHERE json_extract(fields, '$.' || ?) = ? ORDER BY number LIMIT 1",
                                      arguments: [field, value])
            }
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import GRDB

extension Store {
    /// The call centre's tables (docs/store.md §Customers, §Queue events).
    /// Registered after v4; never edit a shipped migration, add the next.
    static func registerACDMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v5-customer") { db in
            try db.create(table: "customer") { t in
                t.primaryKey("number", .text)             // E.164 digits, no '+'
                t.column("name", .text).notNull().defaults(to: "")
                t.column("grade", .text).notNull().defaults(to: "")
                t.column("notes", .text).notNull().defaults(to: "")
                t.column("agent", .text).notNull().defaults(to: "")  // agent or agent group (business routing)
                t.column("fields", .text).notNull().defaults(to: "{}")  // JSON object, string → string
                t.column("updated_time", .datetime).notNull()
            }
            try db.create(index: "customer_agent", on: "customer", columns: ["agent"])
        }
        m.registerMigration("v6-queue") { db in
            try db.create(table: "queue_event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("time", .datetime).notNull()
                t.column("call_id", .text).notNull()
                t.column("queue", .text).notNull()
                t.column("agent", .text).notNull()
                t.column("event", .text).notNull()
                t.column("data", .text).notNull()  // JSON array of strings
            }
            try db.create(index: "queue_event_time", on: "queue_event", columns: ["time"])
            try db.create(index: "queue_event_queue_time", on: "queue_event", columns: ["queue", "time"])
            // A replayed event is stored once.
            try db.create(index: "queue_event_unique", on: "queue_event",
                          columns: ["time", "call_id", "queue", "agent", "event", "data"], unique: true)
            try db.create(table: "acd_state") { t in
                t.primaryKey("key", .text)
                t.column("json", .text).notNull()
                t.column("updated_time", .datetime).notNull()
            }
        }
    }
}

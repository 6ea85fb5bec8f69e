// SPDX-License-Identifier: GPL-2.0-or-later
import GRDB

extension Store {
    /// The fax tables (docs/store.md §Fax): jobs, their destinations, received faxes.
    /// "v8-fax" comes after v7 (voice mail); never edit a shipped migration, add the next.
    static func registerFaxMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v8-fax") { db in
            try db.create(table: "fax_job") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull()                // single, broadcast, on-demand
                t.column("documents", .text).notNull()           // JSON array of {number, name, path, pages}
                t.column("scheduled_time", .datetime).notNull()
                t.column("created_time", .datetime).notNull()
                t.column("state", .text).notNull()
                t.column("origin", .text).notNull()
                t.column("ended_time", .datetime)
            }
            try db.create(index: "fax_job_created", on: "fax_job", columns: ["created_time"])
            try db.create(table: "fax_destination") { t in
                t.column("job", .text).notNull().references("fax_job", onDelete: .cascade)
                t.column("idx", .integer).notNull()
                t.column("number", .text).notNull()
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("next_attempt", .datetime)
                t.column("call_result", .text)                   // answered, busy, no-answer, failed
                t.column("cause", .integer)                      // Q.931
                t.column("t30_code", .integer)
                t.column("t30_text", .text)
                t.column("pages", .integer).notNull().defaults(to: 0)
                t.column("rate", .integer).notNull().defaults(to: 0)
                t.column("ecm", .boolean).notNull().defaults(to: false)
                t.column("started_time", .datetime)
                t.column("ended_time", .datetime)
                t.primaryKey(["job", "idx"])
            }
            try db.create(table: "fax_received") { t in
                t.primaryKey("id", .text)
                t.column("time", .datetime).notNull()
                t.column("call_id", .text).notNull()
                t.column("calling", .text).notNull()
                t.column("dnis", .text).notNull()
                t.column("pages", .integer).notNull()
                t.column("tiff_path", .text).notNull()
                t.column("pdf_path", .text)
                t.column("t30_code", .integer)
                t.column("t30_text", .text)
                t.column("rate", .integer).notNull().defaults(to: 0)
                t.column("ecm", .boolean).notNull().defaults(to: false)
                t.column("agent", .text)
                t.column("queue", .text)
                t.column("state", .text).notNull()               // new, done
                t.column("handled_by", .text)
                t.column("handled_time", .datetime)
            }
            try db.create(index: "fax_received_time", on: "fax_received", columns: ["time"])
            try db.create(index: "fax_received_agent", on: "fax_received", columns: ["agent", "state"])
            try db.create(index: "fax_received_queue", on: "fax_received", columns: ["queue", "state"])
        }
    }
}

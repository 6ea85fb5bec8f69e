// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneStore
import Foundation

/// `dialtone customers import|export|show|list`: the customer table, read
/// and written in the database file directly (docs/store.md §Customers).
struct Customers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import, export and look up customers (keyed by their E.164 calling number).",
        subcommands: [Import.self, Export.self, Show.self, List.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import customers from a CSV file (header: number, name, grade, notes, agent, any free fields).",
            discussion: "Numbers are normalised with the config's customers: settings. Existing customers with the same number are replaced. A bad row stops the import with its line and column and nothing is imported, unless --skip-bad, which imports the good rows and lists each skipped line.")
        @OptionGroup var store: StoreOption
        @Flag(help: "Import the good rows, report the bad ones (exit status 1 when any was skipped).")
        var skipBad = false
        @Argument(help: "The CSV file.")
        var file: String

        func run() throws {
            let config = try store.loadConfig()
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("dialtone: cannot read \(file)")
                throw ExitCode(1)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                printError("dialtone: \(file): not UTF-8 text")
                throw ExitCode(1)
            }
            let result: CustomerCSV.Result
            do {
                result = try CustomerCSV.read(text, normaliser: config.customers.normaliser, skipBad: skipBad)
            } catch {
                printError("\(file):\(error.line): \(error); nothing was imported")
                throw ExitCode(1)
            }
            for p in result.skipped { printError("\(file):\(p.line): skipped: \(p)") }
            let db = try store.open(config, mustExist: false)
            try storeCall { () throws(StoreError) in try db.upsert(result.customers) }
            print("imported \(result.customers.count) customers from \(file)"
                  + (result.skipped.isEmpty ? "" : ", skipped \(result.skipped.count) bad rows"))
            if !result.skipped.isEmpty { throw ExitCode(1) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write every customer as CSV (to standard output by default).")
        @OptionGroup var store: StoreOption
        @Argument(help: "The CSV file to write.")
        var file: String?

        func run() throws {
            let db = try store.open(try store.loadConfig())
            let text = CustomerCSV.write(try storeCall { () throws(StoreError) in try db.customers() })
            guard let file else { print(text, terminator: ""); return }
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
                printError("dialtone: cannot write \(file): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the customer calling from NUMBER (normalised first, as a call's would be).")
        @OptionGroup var store: StoreOption
        @Flag(help: "Print the customer as JSON.")
        var json = false
        @Argument(help: "The number as written (+44 20 7946 0018, 030 123456, 5550100).")
        var number: String

        func run() throws {
            let config = try store.loadConfig()
            guard let e164 = config.customers.normaliser.normalise(number) else {
                throw ValidationError("'\(number)' is not a phone number")
            }
            let db = try store.open(config)
            guard let c = try storeCall({ () throws(StoreError) in try db.customer(number: e164) }) else {
                printError("no customer +\(e164)")
                throw ExitCode(1)
            }
            if json {
                let e = JSONEncoder()
                e.outputFormatting = [.prettyPrinted, .sortedKeys]
                e.dateEncodingStrategy = .iso8601
                print(String(decoding: try e.encode(c), as: UTF8.self))
                return
            }
            var lines = [("number", "+" + c.number), ("name", c.name), ("grade", c.grade), ("agent", c.agent), ("notes", c.notes)]
            lines += c.fields.keys.sorted().map { ($0, c.fields[$0]!) }
            lines.append(("updated", ISO8601DateFormatter().string(from: c.updated)))
            for (k, v) in lines { print("\(k):".padding(toLength: 10, withPad: " ", startingAt: 0) + v) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List customers by number.")
        @OptionGroup var store: StoreOption
        @Option(help: "At most this many.")
        var limit = 100
        @Option(help: "Skip this many first.")
        var offset = 0

        func run() throws {
            let db = try store.open(try store.loadConfig())
            let (rows, count) = try storeCall { () throws(StoreError) in
                (try db.customers(limit: limit, offset: offset), try db.customerCount())
            }
            if rows.isEmpty { print("no customers (\(count) in all)"); return }
            print(table(["NUMBER", "NAME", "GRADE", "AGENT", "NOTES"],
                        rows.map { ["+" + $0.number, $0.name, $0.grade, $0.agent,
                                    String($0.notes.split(whereSeparator: \.isNewline).first ?? "").prefix(40).description] }))
            print("\(offset + 1)–\(offset + rows.count) of \(count)")
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import ArgumentParser
import DialtoneConfig
import DialtoneStore
import Foundation

/// Options for commands that open the database file directly (a running
/// daemon shares it: SQLite WAL, with a busy timeout for writes).
struct StoreOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (to find the database and the customer number settings).")
    var config: String = ConfigLoader.defaultPath

    @Option(help: "Database file (overrides the config's daemon.database).")
    var database: String?

    func loadConfig() throws -> DialtoneConfig {
        do { return try ConfigLoader.load(path: config, checkFiles: false) } catch { throw ValidationError("\(error)") }
    }

    /// The store; `mustExist`: a missing database file is an error rather than created.
    func open(_ config: DialtoneConfig, mustExist: Bool = true) throws -> Store {
        let path = database ?? config.daemon.database
        if mustExist, !FileManager.default.fileExists(atPath: path) {
            printError("dialtone: no database at \(path) (daemon.database in \(self.config))")
            throw ExitCode(1)
        }
        do { return try Store(path: path, busyTimeout: 10) } catch {
            printError("dialtone: \(error)")
            throw ExitCode(1)
        }
    }
}

/// A store failure becomes a message and exit status 1.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws -> T {
    do { return try body() } catch {
        printError("dialtone: \(error)")
        throw ExitCode(1)
    }
}

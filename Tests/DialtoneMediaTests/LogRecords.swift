// SPDX-License-Identifier: GPL-2.0-or-later
import Logging
import Synchronization

/// Log records kept in memory, to assert on what was logged.
final class LogRecords: @unchecked Sendable {
    typealias Record = (level: Logger.Level, message: String, metadata: Logger.Metadata)
    private let records = Mutex<[Record]>([])
    var all: [Record] { records.withLock { $0 } }

    var logger: Logger { Logger(label: "test") { _ in Handler(records: self) } }

    func count(containing text: String) -> Int { all.filter { $0.message.contains(text) }.count }

    /// Errors logged with `path` in their metadata.
    func errors(about path: String) -> [String] {
        all.filter { $0.level == .error && $0.metadata["path"]?.description == path }.map(\.message)
    }

    struct Handler: LogHandler {
        let records: LogRecords
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            records.records.withLock { $0.append((event.level, "\(event.message)", merged)) }
        }
    }
}

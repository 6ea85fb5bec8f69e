// SPDX-License-Identifier: GPL-2.0-or-later
import GRDB

/// A store failure: the SQLite result code, what was being done, and for which
/// call and file. Callers writing CDRs log it and carry on with the call.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// An SQLite primary result code with a readable name.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let error = Code(rawValue: 1)        // SQLITE_ERROR
        public static let busy = Code(rawValue: 5)         // SQLITE_BUSY
        public static let readOnly = Code(rawValue: 8)     // SQLITE_READONLY
        public static let ioError = Code(rawValue: 10)     // SQLITE_IOERR
        public static let corrupt = Code(rawValue: 11)     // SQLITE_CORRUPT
        public static let full = Code(rawValue: 13)        // SQLITE_FULL
        public static let cannotOpen = Code(rawValue: 14)  // SQLITE_CANTOPEN
        public static let constraint = Code(rawValue: 19)  // SQLITE_CONSTRAINT

        public var description: String {
            let names: [Int32: String] = [1: "SQLITE_ERROR", 5: "SQLITE_BUSY", 8: "SQLITE_READONLY", 10: "SQLITE_IOERR",
                                          11: "SQLITE_CORRUPT", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 19: "SQLITE_CONSTRAINT"]
            return names[rawValue] ?? "SQLite code \(rawValue)"
        }
    }

    /// The primary result code (`.full` when the disk or quota is full).
    public var code: Code
    /// SQLite's extended result code (e.g. 2067, SQLITE_CONSTRAINT_UNIQUE), or the primary code.
    public var extendedCode: Int32
    /// What was being done: `open`, `migrate`, `write CDR`, `read CDRs`, …
    public var operation: String
    /// The call whose record was being written or read, if any.
    public var callID: String?
    /// The database file (nil in memory).
    public var path: String?
    /// SQLite's (or the file system's) message.
    public var message: String

    public init(code: Code, extendedCode: Int32? = nil, operation: String, callID: String? = nil, path: String? = nil,
                message: String) {
        self.code = code
        self.extendedCode = extendedCode ?? code.rawValue
        self.operation = operation
        self.callID = callID
        self.path = path
        self.message = message
    }

    init(_ error: any Error, operation: String, callID: String?, path: String?) {
        if let e = error as? DatabaseError {
            self.init(code: Code(rawValue: e.resultCode.rawValue), extendedCode: e.extendedResultCode.rawValue,
                      operation: operation, callID: callID, path: path, message: e.message ?? "\(e)")
        } else if let e = error as? StoreError {
            self = e
        } else {
            self.init(code: .error, operation: operation, callID: callID, path: path, message: "\(error)")
        }
    }

    /// SQLITE_FULL: the disk (or quota) is full.
    public var isDiskFull: Bool { code == .full }
    /// SQLITE_IOERR: the disk failed a read or write.
    public var isIOError: Bool { code == .ioError }

    public var description: String {
        var context = [String]()
        if let callID { context.append("call.id \(callID)") }
        if let path { context.append(path) }
        let place = context.isEmpty ? "" : " (\(context.joined(separator: ", ")))"
        return "store: \(operation) failed\(place): \(code): \(message)"
    }
}

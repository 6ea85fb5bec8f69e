// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Glibc
import Logging

/// swift-log into journald's native protocol: one datagram per entry to
/// `/run/systemd/journal/socket`, with the message, the syslog priority and
/// every metadata key as a field of its own — `call.id` becomes `CALL_ID`,
/// `span` `SPAN`, `channel` `CHANNEL` — so `journalctl CALL_ID=…` or
/// `journalctl SPAN=pstn` finds a call's or a span's lines. Used when the
/// daemon runs under systemd (`JOURNAL_STREAM` set); an entry the socket
/// does not take goes to standard error instead.
public struct JournaldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let socket: JournalSocket

    public init(label: String, socket: JournalSocket) {
        self.label = label
        self.socket = socket
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", "\(event.message)"),
            ("PRIORITY", "\(Self.priority(event.level))"),
            ("SYSLOG_IDENTIFIER", "dialtone"),
            ("DIALTONE_LOGGER", label),
            ("DIALTONE_SOURCE", event.source),
            ("CODE_FILE", event.file),
            ("CODE_LINE", "\(event.line)"),
            ("CODE_FUNC", event.function),
        ]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            fields.append((Self.fieldName(key), "\(value)"))
        }
        let datagram = Self.encode(fields)
        if !socket.send(datagram) {
            let text = "\(event.level) \(label): \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))\n"
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// syslog priorities: trace/debug 7, info 6, notice 5, warning 4, error 3, critical 2.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// journald field names: upper case letters, digits and `_`, not starting with `_` or a digit.
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        while name.hasPrefix("_") { name.removeFirst() }
        if name.isEmpty || name.first!.isNumber { name = "DIALTONE_" + name }
        return String(name.prefix(64))
    }

    /// `KEY=value\n`, or for a value with a newline `KEY\n` + 64-bit little-endian length + value + `\n`.
    static func encode(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (key, value) in fields {
            out += Array(key.utf8)
            if value.contains("\n") {
                out.append(0x0A)
                var length = UInt64(value.utf8.count).littleEndian
                withUnsafeBytes(of: &length) { out += $0 }
                out += Array(value.utf8)
            } else {
                out.append(UInt8(ascii: "="))
                out += Array(value.utf8)
            }
            out.append(0x0A)
        }
        return out
    }
}

/// A datagram socket toward journald (or any socket at `path`, in tests).
public final class JournalSocket: Sendable {
    public static let defaultPath = "/run/systemd/journal/socket"
    private let fd: Int32
    private let address: sockaddr_un

    public init?(path: String = JournalSocket.defaultPath) {
        guard path.utf8.count <= SocketSpan.maxPathBytes else { return nil }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        address = SocketSpan.address(path)
    }

    deinit { close(fd) }

    func send(_ datagram: [UInt8]) -> Bool {
        var addr = address
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, datagram, datagram.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return sent == datagram.count
    }
}

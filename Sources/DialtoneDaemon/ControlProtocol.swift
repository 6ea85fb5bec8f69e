// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation

/// Cuts a control connection's bytes into its request line
/// (docs/control-socket.md): everything up to the first newline, a trailing
/// CR dropped, surrounding white space trimmed. Bytes that are not UTF-8
/// become U+FFFD. Pure, so the framing is tested without sockets.
public struct ControlRequestFramer: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// No newline yet.
        case needMore
        /// A complete request line.
        case request(String)
        /// More than `limit` bytes without a newline.
        case tooLong
    }

    /// The longest request line accepted, in bytes (without the newline).
    public let limit: Int
    private var buffer: [UInt8] = []

    public init(limit: Int) { self.limit = limit }

    /// Adds bytes read from the client; returns the request once its line is complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> Outcome {
        let start = buffer.count
        buffer.append(contentsOf: bytes)
        if let newline = buffer[start...].firstIndex(of: 0x0A) {
            guard newline <= limit else { return .tooLong }
            return .request(Self.decode(buffer[..<newline]))
        }
        return buffer.count > limit ? .tooLong : .needMore
    }

    /// The client shut down its side: a request without its newline still
    /// counts; nil when it sent nothing.
    public func endOfInput() -> String? {
        buffer.isEmpty ? nil : Self.decode(buffer[...])
    }

    static func decode(_ line: ArraySlice<UInt8>) -> String {
        String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Every reply on the control socket is built here with `JSONEncoder`: one
/// valid JSON document followed by a newline, errors included.
public enum ControlReply {
    /// The encoder of every reply (sorted keys, ISO 8601 dates, indented).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// `value` as JSON and a newline; an error reply if it cannot be encoded.
    public static func encode<T: Encodable>(_ value: T) -> Data {
        do {
            var data = try encoder().encode(value)
            data.append(0x0A)
            return data
        } catch {
            return self.error("reply could not be encoded: \(error)")
        }
    }

    /// `{"error": "MESSAGE"}` and a newline, `message` escaped as JSON requires.
    public static func error(_ message: String) -> Data {
        var data = (try? encoder().encode(["error": message])) ?? Data(#"{"error": "internal error"}"#.utf8)
        data.append(0x0A)
        return data
    }

    /// `{"code": CODE, "error": "MESSAGE"}` and a newline: a refused call-control
    /// request (`code` from ``CallControlError/code``, or `invalid`).
    public static func error(_ message: String, code: String) -> Data {
        var data = (try? encoder().encode(["error": message, "code": code])) ?? Data(#"{"error": "internal error"}"#.utf8)
        data.append(0x0A)
        return data
    }

    /// The requests the daemon answers, for messages.
    public static let requestNames = "spans, calls, stats, alarms, reload, recordings, record CALL-ID, kernel-spans, rescan, call COMMAND …, voicemail …, fax …, inbox … or events"

    /// The reply to a request the daemon does not know; the request is quoted
    /// (shortened to 80 characters) inside the JSON string.
    public static func unknown(_ request: String) -> Data {
        if request.isEmpty { return error("empty request; use \(requestNames)") }
        let shown = request.count > 80 ? String(request.prefix(80)) + "…" : request
        return error("unknown request '\(shown)'; use \(requestNames)")
    }
}

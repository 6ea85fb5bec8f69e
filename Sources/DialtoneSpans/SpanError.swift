// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// A span driver failure with its context (span, channel, operation, errno).
public struct SpanError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        case openFailed, ioctlFailed, notSupported, invalidChannel, notStarted, alreadyStarted, io
    }
    public var code: Code
    public var span: String
    public var channel: Int?
    public var operation: String
    public var errno: Int32?

    public init(_ code: Code, span: String, channel: Int? = nil, operation: String, errno: Int32? = nil) {
        self.code = code
        self.span = span
        self.channel = channel
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        var s = "span \(span)"
        if let channel { s += " channel \(channel)" }
        s += ": \(operation) failed (\(code.rawValue))"
        if let errno { s += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        return s
    }
}

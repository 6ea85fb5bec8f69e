// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Glibc

/// Sends one request to a running daemon's control socket and returns the reply (or, for `events`, its lines as they come).
public enum ControlClient {
    /// `timeout` bounds each send and each read: a daemon that takes longer
    /// is reported, never waited on forever.
    public static func request(_ line: String, socketPath: String, timeout: Duration = .seconds(15)) throws -> Data {
        let fd = try connectAndSend(line, socketPath: socketPath, timeout: timeout)
        defer { Glibc.close(fd) }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do {
                n = try systemCall("read") { read(fd, &buffer, buffer.count) }
            } catch {
                if error.wouldBlock { throw DaemonError("no reply from the daemon at \(socketPath) within \(timeout)") }
                if out.last == 0x0A { break }  // the whole reply came before the reset
                throw DaemonError("reading from the daemon at \(socketPath): \(String(cString: strerror(error.errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Sends a streaming request (`events`) and hands each line of the
    /// answer (without its newline) to `onLine` as it comes, until the
    /// daemon closes the connection or `onLine` returns false. `timeout`
    /// bounds connecting, sending and the first line; later lines may take
    /// as long as they take. Returns true when the daemon closed the stream.
    @discardableResult
    public static func stream(_ line: String, socketPath: String, timeout: Duration = .seconds(15),
                              onLine: (Data) throws -> Bool) throws -> Bool {
        let fd = try connectAndSend(line, socketPath: socketPath, timeout: timeout)
        defer { Glibc.close(fd) }
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var first = true
        while true {
            let n: Int
            do {
                n = try systemCall("read") { read(fd, &buffer, buffer.count) }
            } catch {
                if error.wouldBlock { throw DaemonError("no answer from the daemon at \(socketPath) within \(timeout)") }
                throw DaemonError("reading from the daemon at \(socketPath): \(String(cString: strerror(error.errno)))")
            }
            if n == 0 {
                if !pending.isEmpty { _ = try onLine(pending) }
                return true
            }
            pending.append(contentsOf: buffer[0..<n])
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = pending[pending.startIndex..<newline]
                pending = pending[pending.index(after: newline)...]
                if first {
                    // The stream is live: from now on a quiet daemon is no error.
                    first = false
                    var none = timeval(tv_sec: 0, tv_usec: 0)
                    _ = try? systemCall("setsockopt") { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, socklen_t(MemoryLayout<timeval>.size)) }
                }
                if try !onLine(Data(line)) { return false }
            }
        }
    }

    /// Connects and sends `line` and its newline; returns the socket.
    private static func connectAndSend(_ line: String, socketPath: String, timeout: Duration) throws -> Int32 {
        let fd: Int32
        do {
            fd = try systemCall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        } catch {
            throw DaemonError("control socket: \(error)")
        }
        var ok = false
        defer { if !ok { Glibc.close(fd) } }
        var tv = timeval(tv_sec: Int(timeout.components.seconds),
                         tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = try? systemCall("setsockopt") { setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size)) }
        }
        var addr = SocketSpan.address(socketPath)
        do {
            _ = try systemCall("connect") {
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
        } catch {
            throw DaemonError("cannot reach the daemon at \(socketPath): \(String(cString: strerror(error.errno))) — is `dialtone serve` running with this config?")
        }
        let message = Array((line + "\n").utf8)
        var sent = 0
        while sent < message.count {
            let offset = sent
            let result = message.withUnsafeBytes { raw in
                Result { () throws(SystemCallError) -> Int in
                    try systemCall("send") { send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL)) }
                }
            }
            switch result {
            case .success(let n):
                sent += n
            case .failure(let error):
                throw DaemonError(error.wouldBlock ? "the daemon at \(socketPath) took no request within \(timeout)"
                                                   : "sending to the daemon at \(socketPath): \(String(cString: strerror(error.errno)))")
            }
        }
        ok = true
        return fd
    }
}

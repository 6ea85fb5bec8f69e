// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Glibc

/// Sends one request to a running daemon's control socket and returns the reply.
public enum ControlClient {
    /// `timeout` bounds each send and each read: a daemon that takes longer
    /// is reported, never waited on forever.
    public static func request(_ line: String, socketPath: String, timeout: Duration = .seconds(15)) throws -> Data {
        let fd: Int32
        do {
            fd = try systemCall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        } catch {
            throw DaemonError("control socket: \(error)")
        }
        defer { Glibc.close(fd) }
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
}

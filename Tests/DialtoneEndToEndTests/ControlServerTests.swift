// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneDaemon
import DialtoneSpans
import Foundation
import Glibc
import Logging
import Testing

/// Runs blocking socket code on a thread of its own: the answers are Tasks,
/// and a test blocking the (two-thread) cooperative pool would starve them.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The control server's event loop on real Unix sockets, with an answer
/// function standing in for the daemon and small limits so it runs fast.
/// Part of the serialized end-to-end group: its answers run on the
/// cooperative pool, which the real-time end-to-end suites keep busy.
extension EndToEnd {
@Suite(.serialized) struct ControlServerTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dialtone-ctl-\(UUID().uuidString)").path
    var path: String { "\(dir)/control.sock" }

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    func server(_ limits: ControlServer.Limits = .init(maxConnections: 3, maxRequestBytes: 64, idleTimeout: .milliseconds(400)),
                mode: UInt32 = 0o660, delay: Duration = .milliseconds(20),
                reply: @escaping @Sendable (String) -> Data = { ControlReply.encode(["echo": $0]) }) throws -> ControlServer {
        try ControlServer(path: path, mode: mode, group: nil, limits: limits, logger: Logger(label: "test")) { request in
            try? await Task.sleep(for: delay)
            return .reply(reply(request))
        }
    }

    /// A connected client socket (blocking, 5 s receive timeout).
    func connectClient() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = SocketSpan.address(path)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(ok == 0, "connect: \(String(cString: strerror(errno)))")
        return fd
    }

    func sendAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }

    /// Everything until the server closes (or the receive timeout).
    func readAll(_ fd: Int32, slowly: Bool = false) -> Data {
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: slowly ? 512 : 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return out }
            out.append(contentsOf: buffer[0..<n])
            if slowly { usleep(200) }
        }
    }

    func error(in data: Data) -> String? { (try? JSONDecoder().decode([String: String].self, from: data))?["error"] }

    @Test func answersARequestAndAClientThatLeftEarlyCostsNothing() async throws {
        try await onThread { [self] in
            // Three slots: the 50 that hung up must not hold them (reaped when the limit is reached).
            let s = try server(.init(maxConnections: 3, maxRequestBytes: 64, idleTimeout: .seconds(2)), delay: .milliseconds(100))
            defer { s.close(); try? FileManager.default.removeItem(atPath: dir) }
            for _ in 0..<50 {  // gone before the answer: the reply is dropped
                let fd = try connectClient()
                sendAll(fd, "stats\n")
                close(fd)
            }
            let reply = try ControlClient.request("hello \"there\"", socketPath: path)
            #expect(try JSONDecoder().decode([String: String].self, from: reply) == ["echo": "hello \"there\""])
        }
    }

    @Test func connectionLimitIdleTimeoutAndLineLimit() async throws {
        try await onThread { [self] in
            let s = try server()
            defer { s.close(); try? FileManager.default.removeItem(atPath: dir) }
            let idle = try (0..<3).map { _ in try connectClient() }
            usleep(50_000)
            let extra = try connectClient()
            #expect(error(in: readAll(extra))?.contains("too many control connections (3 open)") == true)
            close(extra)
            // The idle ones are told and closed after 400 ms.
            let start = ContinuousClock.now
            for fd in idle {
                #expect(error(in: readAll(fd))?.contains("no complete request line") == true)
                close(fd)
            }
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(250) && waited < .seconds(2), "\(waited)")
            let long = try connectClient()
            sendAll(long, String(repeating: "y", count: 200) + "\n")
            #expect(error(in: readAll(long)) == "request line longer than 64 bytes")
            close(long)
            // A slow-loris client: bytes, but never a line.
            let slow = try connectClient()
            sendAll(slow, "sta")
            #expect(error(in: readAll(slow))?.contains("no complete request line") == true)
            close(slow)
            #expect(error(in: try ControlClient.request("ok", socketPath: path)) == nil)
        }
    }

    /// A 2 MB reply to a client that reads 512 bytes at a time: the loop
    /// writes what the socket takes and comes back for the rest.
    @Test func aLargeReplyToASlowReader() async throws {
        try await onThread { [self] in
            let big = String(repeating: "z", count: 2_000_000)
            let s = try server(.init(maxConnections: 4, maxRequestBytes: 64, idleTimeout: .seconds(5)), reply: { _ in ControlReply.encode(["big": big]) })
            defer { s.close(); try? FileManager.default.removeItem(atPath: dir) }
            let fd = try connectClient()
            sendAll(fd, "big\n")
            shutdown(fd, Int32(SHUT_WR))  // half-closed: the reply still comes, and the loop must not spin on the EOF
            let data = readAll(fd, slowly: true)
            close(fd)
            #expect(try JSONDecoder().decode([String: String].self, from: data)["big"]?.count == 2_000_000)
            #expect(data.last == 0x0A)
        }
    }

    @Test func theSocketFile() async throws {
        try await onThread { [self] in
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // A regular file is refused and left alone.
            _ = FileManager.default.createFile(atPath: path, contents: Data("keep".utf8))
            #expect { try server() } throws: { ($0 as? ControlSocketError)?.code == .notASocket }
            #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
            try FileManager.default.removeItem(atPath: path)
            // The mode from the config.
            let s = try server(mode: 0o600)
            var st = stat()
            #expect(lstat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
            // A live server's socket is refused.
            #expect { try server() } throws: { ($0 as? ControlSocketError)?.code == .inUse }
            s.close()
            #expect(!FileManager.default.fileExists(atPath: path))
            // A stale socket (nobody listening) is replaced.
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = SocketSpan.address(path)
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            close(fd)
            let again = try server()
            #expect(error(in: try ControlClient.request("x", socketPath: path)) == nil)
            again.close()
        }
    }

    @Test func oneLockHolder() async throws {
        try await onThread { [self] in
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let lock = try InstanceLock(path: "\(dir)/db.sqlite.lock")
            #expect(throws: InstanceLockError.self) { try InstanceLock(path: "\(dir)/db.sqlite.lock") }
            do {
                _ = try InstanceLock(path: "\(dir)/db.sqlite.lock")
            } catch let error as InstanceLockError {
                #expect(error.code == .held(pid: getpid()))
                #expect(error.description == "another dialtone (pid \(getpid())) is running with this config (lock \(dir)/db.sqlite.lock)")
            }
            lock.release()
            let next = try InstanceLock(path: "\(dir)/db.sqlite.lock")
            next.release()
        }
    }

    /// A request without its newline counts once the client shuts down its side.
    @Test func aHalfCloseEndsTheRequest() async throws {
        try await onThread { [self] in
            let s = try server()
            defer { s.close(); try? FileManager.default.removeItem(atPath: dir) }
            let fd = try connectClient()
            sendAll(fd, "no newline")
            shutdown(fd, Int32(SHUT_WR))
            let data = readAll(fd)
            close(fd)
            #expect(try JSONDecoder().decode([String: String].self, from: data) == ["echo": "no newline"])
        }
    }

    @Test func aClientTimesOutRatherThanHanging() async throws {
        try await onThread { [self] in
            let s = try server(.init(maxConnections: 4, maxRequestBytes: 64, idleTimeout: .seconds(5)), delay: .seconds(3))
            defer { s.close(); try? FileManager.default.removeItem(atPath: dir) }
            #expect { try ControlClient.request("slow", socketPath: path, timeout: .milliseconds(300)) } throws: {
                "\($0)".contains("no reply from the daemon")
            }
        }
    }
}
}

// SPDX-License-Identifier: GPL-2.0-or-later
// The journald handler against a real datagram socket standing in for
// /run/systemd/journal/socket: each entry is one datagram in journald's
// native format, metadata keys as fields of their own.
import DialtoneDaemon
import Foundation
import Glibc
import Logging
import Testing

@Suite struct JournaldLogHandlerTests {
    /// Binds a datagram socket at a fresh path; returns its descriptor and path.
    func listener() throws -> (Int32, String) {
        let path = "/tmp/dt-journal-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(rc == 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return (fd, path)
    }

    func receive(_ fd: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Parses the native format (both `KEY=value` and the length-prefixed binary form).
    func fields(_ d: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i < d.count {
            guard let nl = d[i...].firstIndex(of: 0x0A) else { break }
            let line = d[i..<nl]
            if let eq = line.firstIndex(of: UInt8(ascii: "=")) {
                out[String(decoding: d[i..<eq], as: UTF8.self)] = String(decoding: d[(eq + 1)..<nl], as: UTF8.self)
                i = nl + 1
            } else {
                let key = String(decoding: line, as: UTF8.self)
                var length: UInt64 = 0
                for k in 0..<8 { length |= UInt64(d[nl + 1 + k]) << (8 * UInt64(k)) }
                let start = nl + 9
                out[key] = String(decoding: d[start..<(start + Int(length))], as: UTF8.self)
                i = start + Int(length) + 1
            }
        }
        return out
    }

    @Test func callIDAndSpanAreFieldsOfTheirOwn() throws {
        let (fd, path) = try listener()
        defer { close(fd); unlink(path) }
        let socket = try #require(JournalSocket(path: path))
        var logger = Logger(label: "dialtone") { JournaldLogHandler(label: $0, socket: socket) }
        logger.logLevel = .info
        logger.warning("rejecting call", metadata: ["call.id": "tq3-7", "span": "pstn", "channel": "12"])
        let f = fields(receive(fd))
        #expect(f["MESSAGE"] == "rejecting call")
        #expect(f["PRIORITY"] == "4")
        #expect(f["CALL_ID"] == "tq3-7" && f["SPAN"] == "pstn" && f["CHANNEL"] == "12")
        #expect(f["SYSLOG_IDENTIFIER"] == "dialtone")
        #expect(f["CODE_FILE"]?.hasSuffix("JournaldLogHandlerTests.swift") == true)

        logger.error("two\nlines", metadata: ["detail": "a\nb"])
        let g = fields(receive(fd))
        #expect(g["MESSAGE"] == "two\nlines" && g["DETAIL"] == "a\nb" && g["PRIORITY"] == "3")
        logger.debug("not sent at info")
        logger.notice("next")
        #expect(fields(receive(fd))["MESSAGE"] == "next")
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import DialtoneSwitch
import Foundation
import Glibc
import Logging

/// The daemon's local control socket: one request line in (`spans`,
/// `calls`, `stats`), one JSON document out, then the connection closes.
/// The framing is in docs/control-socket.md.
final class ControlServer: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let logger: Logger
    private weak var daemon: Daemon?

    init(path: String, daemon: Daemon, logger: Logger) throws {
        self.path = path
        self.daemon = daemon
        self.logger = logger
        guard path.utf8.count <= SocketSpan.maxPathBytes else {
            throw DaemonError("control socket \(path): longer than the \(SocketSpan.maxPathBytes) bytes a Unix socket path holds")
        }
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("control socket: socket() failed: errno \(errno)") }
        var addr = SocketSpan.address(path)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0, listen(fd, 16) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw DaemonError("control socket \(path): bind/listen failed: \(String(cString: strerror(e)))")
        }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "dialtone.control"
        thread.start()
    }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
        unlink(path)
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { Glibc.close(client) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(client, &buffer, buffer.count)
        guard n > 0 else { return }
        let request = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let reply = respond(to: request)
        reply.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let w = write(client, raw.baseAddress! + off, raw.count - off)
                if w <= 0 { break }
                off += w
            }
        }
    }

    private func respond(to request: String) -> Data {
        guard let daemon else { return Data("{\"error\":\"shutting down\"}\n".utf8) }
        let box = ReplyBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.data = await ControlServer.answer(request, daemon: daemon)
            done.signal()
        }
        done.wait()
        return box.data
    }

    static func answer(_ request: String, daemon: Daemon) async -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        var data: Data
        switch request {
        case "spans":
            data = (try? encoder.encode(await daemon.switchCore.spanStatus())) ?? Data()
        case "calls":
            data = (try? encoder.encode(await daemon.switchCore.activeCalls())) ?? Data()
        case "kernel-spans":
            data = (try? encoder.encode(KernelSpans(spans: daemon.kernelSpans.spans, events: daemon.kernelSpans.events,
                                                    absent: daemon.kernelSpans.spans.isEmpty ? DAHDIDiscovery().absentReason : nil))) ?? Data()
        case "rescan":
            daemon.logger.notice("rescan requested (udev)")
            data = (try? encoder.encode(KernelSpans(spans: { daemon.kernelSpans.rescan(); return daemon.kernelSpans.spans }(),
                                                    events: daemon.kernelSpans.events, absent: nil))) ?? Data()
        case "stats":
            data = (try? encoder.encode(await daemon.status())) ?? Data()
        case "recordings":
            data = (try? encoder.encode((try? daemon.store.recordings(limit: 100)) ?? [])) ?? Data()
        case let r where r.hasPrefix("record "):
            let id = String(r.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            if let problem = await daemon.switchCore.startRecording(id, reason: "api") {
                data = (try? encoder.encode(["error": problem])) ?? Data()
            } else {
                data = (try? encoder.encode(["recording": id])) ?? Data()
            }
        default:
            data = Data("{\"error\":\"unknown request '\(request)'; use spans, calls, stats, recordings, record CALL-ID, kernel-spans or rescan\"}".utf8)
        }
        data.append(0x0A)
        return data
    }
}

/// The reply to `kernel-spans`/`rescan`.
public struct KernelSpans: Codable, Sendable {
    public var spans: [DAHDISpanInfo]
    public var events: [String]
    public var absent: String?
}

final class ReplyBox: @unchecked Sendable { var data = Data() }


/// Sends one request to a running daemon's control socket and returns the reply.
public enum ControlClient {
    public static func request(_ line: String, socketPath: String) throws -> Data {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DaemonError("socket() failed") }
        defer { Glibc.close(fd) }
        var addr = SocketSpan.address(socketPath)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard ok == 0 else {
            throw DaemonError("cannot reach the daemon at \(socketPath): \(String(cString: strerror(errno))) — is `dialtone serve` running with this config?")
        }
        let msg = Array((line + "\n").utf8)
        _ = write(fd, msg, msg.count)
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
}

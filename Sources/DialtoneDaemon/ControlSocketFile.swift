// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSpans
import Foundation
import Glibc
import Logging

/// Why the control socket could not be set up.
public struct ControlSocketError: Error, CustomStringConvertible {
    public enum Code: Sendable {
        /// Something other than a socket is at the path; it is left alone.
        case notASocket
        /// A live daemon answers on the socket already.
        case inUse
        /// Longer than a Unix socket address holds (107 bytes).
        case pathTooLong
        /// The configured group cannot be given the socket.
        case group
        case system
    }

    public var code: Code
    public var path: String
    public var detail: String

    public init(_ code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String { "control socket \(path): \(detail)" }
}

/// Creating, checking and removing the control socket's file.
enum ControlSocketFile {
    /// Binds a listening, non-blocking socket at `path` with `mode` and
    /// `group` (nil: the default group, when the host has it).
    ///
    /// What is at the path already decides: nothing — create it; a socket a
    /// live daemon answers on — refuse; a stale socket (connecting is
    /// refused) — replace it; anything else — refuse, and leave it as it is.
    static func bind(path: String, mode: UInt32, group: String?, logger: Logger) throws(ControlSocketError) -> (fd: Int32, inode: ino_t) {
        guard path.utf8.count <= 107 else {
            throw ControlSocketError(.pathTooLong, path: path, detail: "the path is \(path.utf8.count) bytes; a Unix socket path holds at most 107")
        }
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try clearStale(path, logger: logger)

        let fd: Int32
        do {
            fd = try systemCall("socket") {
                socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            }
        } catch {
            throw ControlSocketError(.system, path: path, detail: "\(error)")
        }
        var addr = SocketSpan.address(path)
        do {
            _ = try systemCall("bind") {
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
        } catch {
            Glibc.close(fd)
            if error.errno == EADDRINUSE {
                throw ControlSocketError(.inUse, path: path, detail: "another process created it just now")
            }
            throw ControlSocketError(.system, path: path, detail: "\(error)")
        }
        var st = stat()
        do {
            try setOwnership(path, mode: mode, group: group, logger: logger)
            _ = try systemCall("listen") { listen(fd, 128) }
            _ = try systemCall("lstat") { lstat(path, &st) }
        } catch let e as ControlSocketError {
            Glibc.close(fd)
            _ = try? systemCall("unlink") { unlink(path) }
            throw e
        } catch {
            Glibc.close(fd)
            _ = try? systemCall("unlink") { unlink(path) }
            throw ControlSocketError(.system, path: path, detail: "\(error)")
        }
        return (fd, st.st_ino)
    }

    /// Refuses a non-socket or a live daemon's socket at `path`; removes a stale socket.
    static func clearStale(_ path: String, logger: Logger) throws(ControlSocketError) {
        var st = stat()
        do {
            _ = try systemCall("lstat") { lstat(path, &st) }
        } catch {
            if error.errno == ENOENT { return }
            throw ControlSocketError(.system, path: path, detail: "\(error)")
        }
        guard st.st_mode & S_IFMT == S_IFSOCK else {
            throw ControlSocketError(.notASocket, path: path,
                                     detail: "\(kind(st.st_mode)) is there, not a socket; it is left as it is (remove it or set daemon.control_socket to another path)")
        }
        switch probe(path) {
        case 0:
            throw ControlSocketError(.inUse, path: path, detail: "another dialtone is answering on it (stop it, or give this config another control_socket)")
        case ECONNREFUSED:
            do {
                _ = try systemCall("unlink") { unlink(path) }
            } catch {
                throw ControlSocketError(.system, path: path, detail: "a stale socket is there and cannot be removed: \(error)")
            }
            logger.notice("control socket: replaced a stale socket (no daemon answered on it)", metadata: ["path": "\(path)"])
        case ENOENT:
            return  // gone meanwhile
        case let e:
            throw ControlSocketError(.system, path: path, detail: "a socket is there and connecting to it failed: \(String(cString: strerror(e)))")
        }
    }

    /// Connects to the socket at `path`: 0 when something accepts, else the errno.
    static func probe(_ path: String) -> Int32 {
        guard let fd = try? systemCall("socket", { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }) else {
            return errno
        }
        defer { Glibc.close(fd) }
        var addr = SocketSpan.address(path)
        do {
            _ = try systemCall("connect") {
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            return 0
        } catch {
            return error.errno
        }
    }

    static func setOwnership(_ path: String, mode: UInt32, group: String?, logger: Logger) throws {
        let name = group ?? DaemonSettings.defaultControlSocketGroup
        if let gid = HostGroup.id(of: name) {
            do {
                _ = try systemCall("chown") { chown(path, uid_t.max, gid) }  // uid -1: the owner stays
            } catch {
                guard group == nil else {
                    throw ControlSocketError(.group, path: path, detail: "cannot give it to group '\(name)': \(error)")
                }
                logger.notice("control socket: cannot give it to group '\(name)' (\(error)); it keeps the daemon's group",
                              metadata: ["path": "\(path)"])
            }
        } else if let group {
            throw ControlSocketError(.group, path: path, detail: "no group '\(group)' on this host")
        } else {
            logger.notice("control socket: no group '\(name)' on this host; it keeps the daemon's group",
                          metadata: ["path": "\(path)"])
        }
        _ = try systemCall("chmod") { chmod(path, mode_t(mode)) }
    }

    /// Removes the socket file if it is still the one this server made.
    static func remove(_ path: String, inode: ino_t) {
        var st = stat()
        guard (try? systemCall("lstat", { lstat(path, &st) })) != nil, st.st_ino == inode, st.st_mode & S_IFMT == S_IFSOCK else { return }
        _ = try? systemCall("unlink") { unlink(path) }
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO"
        case S_IFCHR, S_IFBLK: "a device"
        default: "something"
        }
    }
}

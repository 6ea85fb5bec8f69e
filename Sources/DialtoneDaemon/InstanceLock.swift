// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Glibc

/// Another daemon holds the config's lock, or the lock file cannot be used.
public struct InstanceLockError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Another process holds the lock; its pid as written in the file.
        case held(pid: Int32?)
        case system
    }

    public var code: Code
    public var path: String
    public var detail: String

    public var description: String {
        switch code {
        case .held(let pid):
            "another dialtone (pid \(pid.map(String.init) ?? "unknown")) is running with this config (lock \(path))"
        case .system:
            "lock \(path): \(detail)"
        }
    }
}

/// One daemon per config: an exclusive `flock` on a file next to the
/// database (`<database>.lock`), held for the daemon's life, with its pid
/// written in it. The kernel drops the lock when the process ends however it
/// ends, so a crash never leaves a stale lock; the file itself stays.
public final class InstanceLock: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var fd: Int32

    public init(path: String) throws(InstanceLockError) {
        self.path = path
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        let fd: Int32
        do {
            fd = try systemCall("open") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        } catch {
            throw InstanceLockError(code: .system, path: path, detail: "\(error)")
        }
        do {
            _ = try systemCall("flock") { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            defer { Glibc.close(fd) }
            guard error.wouldBlock else { throw InstanceLockError(code: .system, path: path, detail: "\(error)") }
            throw InstanceLockError(code: .held(pid: Self.readPID(fd)), path: path, detail: "")
        }
        let pid = Array("\(getpid())\n".utf8)
        do {
            _ = try systemCall("ftruncate") { ftruncate(fd, 0) }
            _ = try systemCall("pwrite") { pwrite(fd, pid, pid.count, 0) }
        } catch {
            Glibc.close(fd)
            throw InstanceLockError(code: .system, path: path, detail: "\(error)")
        }
        self.fd = fd
    }

    /// Lets the next daemon start (also done when this object goes away).
    public func release() {
        lock.withLock {
            guard fd >= 0 else { return }
            Glibc.close(fd)  // drops the flock
            fd = -1
        }
    }

    deinit { release() }

    /// The holder's pid; it writes it just after locking, so a few tries.
    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        for _ in 0..<20 {
            if let n = try? systemCall("pread", { pread(fd, &buffer, buffer.count, 0) }), n > 0,
               let pid = Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            usleep(10_000)
        }
        return nil
    }
}

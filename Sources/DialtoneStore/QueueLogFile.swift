// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation
import Glibc

/// The Asterisk-compatible `queue_log` file: each ``QueueEvent``'s
/// ``QueueEvent/queueLogLine`` and a newline, appended by the store
/// writer's thread once the event is in the database or the journal.
/// The file is reopened when it was rotated (moved away or removed: the
/// inode at the path is no longer the open one), so logrotate needs no
/// signal. It is a copy: a failure to write it is counted and logged by
/// the caller, never retried at the database's expense.
public final class QueueLogFile: @unchecked Sendable {
    public let path: String
    private var fd: Int32 = -1
    private var device: UInt = 0
    private var inode: UInt = 0
    /// Lines that could not be written (the database has them).
    public private(set) var failedLines = 0
    /// The last error, if the last append failed.
    public private(set) var lastError: String?

    /// Prepares to write `path` (opened at the first append, created if needed).
    public init(path: String) {
        self.path = path
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    /// Appends the events' lines in one write; returns false (and counts
    /// the lines as failed) when the file cannot be opened or written.
    @discardableResult
    public func append(_ events: [QueueEvent]) -> Bool {
        guard !events.isEmpty else { return true }
        var text = ""
        for e in events { text += e.queueLogLine + "\n" }
        reopenIfRotated()
        if fd < 0 { open() }
        guard fd >= 0 else { failedLines += events.count; return false }
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                lastError = "write: \(String(cString: strerror(errno)))"
                failedLines += events.count
                // A short write leaves part of a line; the next append starts on a fresh file descriptor.
                close()
                return false
            }
            off += n
        }
        lastError = nil
        return true
    }

    /// Closes the file (the next append opens it again).
    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func open() {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { lastError = "open: \(String(cString: strerror(errno)))"; return }
        var st = stat()
        fstat(fd, &st)
        device = UInt(st.st_dev)
        inode = UInt(st.st_ino)
    }

    /// Rotated: the path is gone or is another file than the one open.
    private func reopenIfRotated() {
        guard fd >= 0 else { return }
        var st = stat()
        if stat(path, &st) != 0 || UInt(st.st_dev) != device || UInt(st.st_ino) != inode { close() }
    }
}

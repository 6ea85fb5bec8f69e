// SPDX-License-Identifier: GPL-2.0-or-later
import CSystem
import Foundation
import Glibc

/// The store writer's append-only journal: the records the database could
/// not take yet, one JSON line each (``StoreOp``'s format, docs/store.md),
/// fsynced before the writer moves on. Space for `reserve` bytes is
/// allocated up front (`fallocate`, size kept), so appends go on when the
/// file system fills up. A line cut short by a crash is skipped on replay.
public final class StoreJournal: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let reserve: Int
    /// Bytes of journal not yet replayed.
    public private(set) var size: Int

    public struct Failure: Error, CustomStringConvertible {
        public var operation: String
        public var path: String
        public var errno: Int32
        public var isFull: Bool { errno == ENOSPC || errno == EDQUOT || errno == EFBIG }
        public var description: String { "journal \(path): \(operation): \(String(cString: strerror(errno)))" }
    }

    public init(path: String, reserve: Int = 1 << 20) throws {
        self.path = path
        self.reserve = reserve
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, errno: errno) }
        var st = stat()
        fstat(fd, &st)
        size = Int(st.st_size)
        reserveSpace()
    }

    deinit { Glibc.close(fd) }

    /// Allocates the reserve past the end (size kept): best effort (not every file system can).
    private func reserveSpace() {
        _ = CSystem_fallocate_keep_size(fd, off_t(size), off_t(reserve))
    }

    /// Appends `ops` as lines and fsyncs. On failure nothing of this batch stays in the file.
    public func append(_ ops: [StoreOp]) throws(Failure) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8]()
        for op in ops {
            guard let line = try? encoder.encode(op) else { continue }
            bytes += line
            bytes.append(0x0A)
        }
        let before = size
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                _ = ftruncate(fd, off_t(before))
                throw Failure(operation: "append", path: path, errno: e)
            }
            off += n
        }
        if fdatasync(fd) != 0 {
            let e = errno
            _ = ftruncate(fd, off_t(before))
            throw Failure(operation: "fsync", path: path, errno: e)
        }
        size = before + bytes.count
    }

    /// Every complete, readable line (in order) and how many lines were skipped.
    public func read() -> (ops: [StoreOp], skipped: Int) {
        guard size > 0, let data = FileManager.default.contents(atPath: path) else { return ([], 0) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        var ops: [StoreOp] = []
        var skipped = 0
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        for (i, line) in lines.enumerated() {
            // The last line without its newline was cut short by a crash.
            let complete = i < lines.count - 1 || data.last == 0x0A
            if complete, let op = try? decoder.decode(StoreOp.self, from: Data(line)) { ops.append(op) } else { skipped += 1 }
        }
        return (ops, skipped)
    }

    /// Empties the journal once its records are in the database.
    public func clear() throws(Failure) {
        guard ftruncate(fd, 0) == 0 else { throw Failure(operation: "truncate", path: path, errno: errno) }
        _ = fdatasync(fd)
        size = 0
        reserveSpace()
    }
}

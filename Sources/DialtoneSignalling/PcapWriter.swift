// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Synchronization

/// Writes D-channel frames to a pcap file that Wireshark/tshark decode as
/// LAPD + Q.931 (link type 203: a bare Q.921 frame, FCS removed).
/// Several D-channels may share one file; writes are serialized.
public final class PcapWriter: Sendable {
    private let handle: Mutex<FileHandle?>
    public let path: String

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let h = try FileHandle(forWritingTo: url)
        var header = Data()
        header.appendLE(UInt32(0xa1b2c3d4))  // magic, microsecond timestamps
        header.appendLE(UInt16(2))
        header.appendLE(UInt16(4))
        header.appendLE(Int32(0))             // thiszone
        header.appendLE(UInt32(0))            // sigfigs
        header.appendLE(UInt32(65535))        // snaplen
        header.appendLE(UInt32(203))          // LINKTYPE_LAPD
        try h.write(contentsOf: header)
        handle = Mutex(h)
    }

    /// Appends one frame (without FCS). `span`/`outgoing` are for future
    /// link types that carry them; LINKTYPE_LAPD has no pseudo-header.
    public func write(_ frame: UnsafeRawBufferPointer, span: String, outgoing: Bool) {
        var now = timeval()
        gettimeofday(&now, nil)
        var record = Data(capacity: 16 + frame.count)
        record.appendLE(UInt32(truncatingIfNeeded: now.tv_sec))
        record.appendLE(UInt32(truncatingIfNeeded: now.tv_usec))
        record.appendLE(UInt32(frame.count))
        record.appendLE(UInt32(frame.count))
        record.append(contentsOf: frame)
        handle.withLock { try? $0?.write(contentsOf: record) }
    }

    public func close() {
        handle.withLock {
            try? $0?.close()
            $0 = nil
        }
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

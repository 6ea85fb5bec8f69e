// SPDX-License-Identifier: GPL-2.0-or-later
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// The daemon's log lines on standard error (outside systemd): swift-log's
/// `StreamLogHandler` format — `TIME LEVEL LABEL: METADATA [SOURCE] MESSAGE`,
/// metadata sorted by key — with the time to the millisecond, ISO 8601 in
/// local time (`2026-12-01T05:40:12.345+0000`), so that lines can be set
/// against the event stream's times and a digit's `at_ms`.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata = Logger.Metadata()
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler writing each line with `write` (one call per line).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    /// Lines to standard error, each in one write(2) (a line is not cut by another thread's).
    public static func standardError(label: String) -> ConsoleLogHandler {
        ConsoleLogHandler(label: label) { line in
            var text = line
            text.withUTF8 { bytes in
                var done = 0
                while done < bytes.count {
                    let n = Glibc.write(STDERR_FILENO, bytes.baseAddress! + done, bytes.count - done)
                    if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let pretty = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        write("\(ConsoleLogHandler.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(label):\(pretty) [\(event.source)] \(event.message)\n")
    }

    /// `time` (default: now) as ISO 8601 local time with milliseconds and the zone offset.
    public static func timestamp(_ time: timespec? = nil) -> String {
        var ts = time ?? timespec()
        if time == nil { clock_gettime(CLOCK_REALTIME, &ts) }
        var seconds = ts.tv_sec
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
        var date = [CChar](repeating: 0, count: 32), zone = [CChar](repeating: 0, count: 8)
        strftime(&date, date.count, "%Y-%m-%dT%H:%M:%S", &local)
        strftime(&zone, zone.count, "%z", &local)
        let ms = Int(ts.tv_nsec / 1_000_000)
        let dateText = date.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let zoneText = zone.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return dateText + String(format: ".%03d", ms) + zoneText
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Logging
import Synchronization

/// Watches the DAHDI driver's spans (sysfs) while the daemon runs and reports
/// spans appearing, disappearing and changing alarm state, with the card's
/// identity. Once a second it compares a cheap fingerprint of sysfs (the span
/// list and each span's alarms) and reads the spans in full only when it
/// changed; `rescan()` (from the udev hook through the control socket) looks
/// at once. (Alarms of the daemon's own spans also come as DAHDI events; a
/// span appearing or going, from udev; the poll covers hosts without the
/// udev rule and the alarms of spans the daemon does not use.)
public final class SpanWatcher: Sendable {
    public enum Change: Sendable, Equatable {
        case appeared(DAHDISpanInfo)
        case disappeared(DAHDISpanInfo)
        case alarms(DAHDISpanInfo, from: SpanAlarms)
    }

    private let discovery: DAHDIDiscovery
    private let logger: Logger
    private let known = Mutex<[Int: DAHDISpanInfo]>([:])
    private let history = Mutex<[String]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(discovery: DAHDIDiscovery = DAHDIDiscovery(), logger: Logger) {
        self.discovery = discovery
        self.logger = logger
        known.withLock { k in for s in discovery.spans() { k[s.number] = s } }
    }

    /// The spans seen at the last scan.
    public var spans: [DAHDISpanInfo] { known.withLock { Array($0.values) }.sorted { $0.number < $1.number } }
    /// The last changes, newest last (for `dialtone spans`).
    public var events: [String] { history.withLock { $0 } }

    public func start() {
        let t = Task { [self] in
            var last: String?
            var first = true
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let now = discovery.fingerprint()
                if first || now == nil || now != last { _ = rescan() }
                first = false
                last = now
            }
        }
        task.withLock { $0 = t }
    }

    public func stop() { task.withLock { $0?.cancel() } }

    /// Compares sysfs with what was known, logs and returns the changes.
    @discardableResult
    public func rescan() -> [Change] {
        let now = Dictionary(discovery.spans().map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        let changes = known.withLock { old -> [Change] in
            var c: [Change] = []
            for (n, s) in now.sorted(by: { $0.key < $1.key }) {
                if let before = old[n] {
                    if before.alarms != s.alarms { c.append(.alarms(s, from: before.alarms)) }
                } else {
                    c.append(.appeared(s))
                }
            }
            for (n, s) in old.sorted(by: { $0.key < $1.key }) where now[n] == nil { c.append(.disappeared(s)) }
            old = now
            return c
        }
        for change in changes {
            let text: String
            switch change {
            case .appeared(let s):
                text = "DAHDI span appeared: \(s.identity), \(s.type) \(s.lineConfig), channels \(s.channelRange.lowerBound)-\(s.channelRange.upperBound), alarms \(s.alarms)"
            case .disappeared(let s):
                text = "DAHDI span disappeared: \(s.identity)"
            case .alarms(let s, let from):
                text = "DAHDI span alarms \(from) -> \(s.alarms): \(s.identity)"
            }
            logger.notice("\(text)")
            history.withLock {
                $0.append("\(ISO8601DateFormatter().string(from: Date())) \(text)")
                if $0.count > 50 { $0.removeFirst($0.count - 50) }
            }
        }
        return changes
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Logging
import ServiceLifecycle

/// The sd_notify(3) protocol without libsystemd: one datagram of
/// `KEY=value` lines to the socket systemd names in `NOTIFY_SOCKET` (a path,
/// or an abstract name when it starts with `@`). Outside systemd it does nothing.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?
    /// `WATCHDOG_USEC` when it is meant for this process (`WATCHDOG_PID`).
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap { UInt64($0) }.flatMap { $0 > 0 && forUs ? .microseconds($0) : nil }
    }

    /// Sends `state` (e.g. `READY=1\nSTATUS=…`). False when there is no socket or the send failed.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (bytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL), $0, length)
            }
        }
        return sent == message.count
    }
}

/// Tells systemd the daemon is ready once every other service is up (it is
/// the last in the group), pings the watchdog while the switch answers, and
/// says STOPPING=1 when the graceful shutdown begins (it is the first to stop).
struct SystemdService: Service, CustomStringConvertible {
    let notifier: SystemdNotifier
    let after: StartGate?
    let daemon: Daemon
    var description: String { "systemd notification" }

    func run() async throws {
        if let after { try await after.wait() }
        let spans = daemon.spans.map { $0.config.name }.joined(separator: ", ")
        notifier.notify("READY=1\nMAINPID=\(getpid())\nSTATUS=up: spans \(spans)")
        if let interval = notifier.watchdogInterval {
            // Each ping proves the switch's actor still answers.
            let period = interval / 2
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    _ = await daemon.switchCore.callCount
                    notifier.notify("WATCHDOG=1")
                    try? await Task.sleep(for: period)
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.notify("STOPPING=1\nSTATUS=draining calls")
    }
}

extension Daemon {
    /// Every component as a service in dependency order, then the systemd
    /// notifier (ready once everything before it is up).
    public func serviceGroupServices(notifier: SystemdNotifier = SystemdNotifier()) -> [any Service] {
        var previous: StartGate?
        var list: [any Service] = components.map { c in
            let gate = StartGate()
            defer { previous = gate }
            return ComponentService(component: c, after: previous, ready: gate, logger: logger)
        }
        list.append(SystemdService(notifier: notifier, after: previous, daemon: self))
        return list
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// One part of the daemon — the store writer, recordings, spans, the media
/// engine, D-channels, the switch, the control socket… — with how it starts
/// and stops. ``Daemon/components`` lists them in dependency order: started
/// first to last, stopped last to first.
public struct DaemonComponent: Sendable {
    public let name: String
    let start: @Sendable () throws -> Void
    let stop: @Sendable () async -> Void

    public init(_ name: String, start: @escaping @Sendable () throws -> Void, stop: @escaping @Sendable () async -> Void) {
        self.name = name
        self.start = start
        self.stop = stop
    }
}

/// A component as a swift-service-lifecycle `Service`: it starts once the
/// component before it is up (dependency order), runs until the group's
/// graceful shutdown (SIGTERM), then stops. The group shuts services down in
/// reverse order, one after another, so the switch drains its calls before
/// the D-channels, the media engine and the store writer stop.
struct ComponentService: Service, CustomStringConvertible {
    let component: DaemonComponent
    let after: StartGate?
    let ready: StartGate
    let logger: Logger
    var description: String { component.name }

    func run() async throws {
        if let after { try await after.wait() }
        do {
            try component.start()
        } catch {
            logger.critical("cannot start \(component.name)", metadata: ["error": "\(error)"])
            throw error
        }
        ready.open()
        try? await gracefulShutdown()
        await component.stop()
    }
}

/// Opens once; waiters resume then (or throw when their task is cancelled).
final class StartGate: Sendable {
    private struct State {
        var open = false
        var waiters: [UUID: CheckedContinuation<Void, any Error>] = [:]
    }
    private let state = Mutex(State())

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.open = true
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    func wait() async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { s in
                    if s.open || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { c.resume(throwing: CancellationError()) } else { c.resume() }
                }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume(throwing: CancellationError())
        }
    }
}

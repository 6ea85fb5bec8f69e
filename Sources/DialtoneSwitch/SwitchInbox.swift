// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// The switch core's inputs in arrival order: any thread appends (a lock
/// and an append; no task is resumed while the switch is busy), the switch
/// actor takes everything queued at once and sleeps while there is nothing.
/// Under load a D-channel's events reach the switch in batches, with one
/// wake-up per batch instead of an `AsyncStream` hand-over per event.
final class SwitchInbox: Sendable {
    private struct State {
        var items: [SwitchCore.Input] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }
    private let state = Mutex(State())

    /// Queues an input (any thread); dropped once the inbox is finished.
    func yield(_ input: SwitchCore.Input) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.finished else { return nil }
            s.items.append(input)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// No more inputs: the consumer's ``take(into:isolation:)`` returns false once the queue is empty.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Swaps everything queued into `batch` (which must be empty), waiting
    /// while nothing is; false when finished and drained. One consumer; it
    /// stays on the caller's executor (the switch actor).
    func take(into batch: inout [SwitchCore.Input], isolation: isolated (any Actor)? = #isolation) async -> Bool {
        while true {
            let (got, finished) = state.withLock { s -> (Bool, Bool) in
                guard !s.items.isEmpty else { return (false, s.finished) }
                swap(&s.items, &batch)
                return (true, false)
            }
            if got { return true }
            if finished { return false }
            await withCheckedContinuation(isolation: isolation) { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if !s.items.isEmpty || s.finished { return true }
                    s.waiter = c
                    return false
                }
                if ready { c.resume() }
            }
        }
    }
}

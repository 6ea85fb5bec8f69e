// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneACD
import Foundation

/// What the ACD hands the store: queue events and its state snapshots,
/// journaled and replayed like CDRs (docs/store.md §Queue events).
extension StoreWriter {
    /// Queues a queue or agent event (never blocks): stored once in
    /// `queue_event`, then appended to the queue_log file.
    public func queueEvent(_ event: QueueEvent) {
        enqueue(.queueEvent(event))
    }

    /// Queues the ACD's state under `key` (a JSON document replacing the
    /// previous one), kept across restarts in `acd_state`; `durable` runs
    /// once it is in the database or the journal.
    public func acdSnapshot(key: String, json: String, at time: Date = Date(),
                            durable: (@Sendable () -> Void)? = nil) {
        enqueue(.acdSnapshot(key: key, json: json, time: time), then: durable)
    }

    /// Writer thread: appends the batch's queue events to the queue_log file.
    /// A failure is logged when it starts and when it ends; the events stay in the database.
    func appendQueueLog(_ batch: [StoreOp]) {
        guard let queueLog else { return }
        var events: [QueueEvent] = []
        for op in batch { if case .queueEvent(let e) = op { events.append(e) } }
        guard !events.isEmpty else { return }
        if queueLog.append(events) {
            if queueLogFailing {
                queueLogFailing = false
                logger.notice("queue_log written again", metadata: ["file": "\(queueLog.path)", "lines.lost": "\(queueLog.failedLines)"])
            }
        } else if !queueLogFailing {
            queueLogFailing = true
            logger.error("queue_log cannot be written; queue events are kept in the database only",
                         metadata: ["file": "\(queueLog.path)", "error": "\(queueLog.lastError ?? "?")"])
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Dispatch
import Logging
import Synchronization

/// The commands on their way to a media thread: an ``SPSCQueue`` that never
/// drops one. When the ring is full the producer rings the consumer and waits
/// for it to drain (a semaphore the consumer signals only when a producer
/// waits), counting each such push and logging a warning once per episode (an
/// episode ends after a second without a full ring); it gives up only when
/// the consumer is not running and the ring stays full.
final class CommandQueue<Element: Sendable>: @unchecked Sendable {
    let ring: SPSCQueue<Element>
    /// Wakes the consumer (it sleeps on it while idle).
    let bell = Doorbell()
    private let roomWanted = Atomic<Bool>(false)
    private let room = DispatchSemaphore(value: 0)
    private let fullCount = Atomic<UInt64>(0)
    private let inEpisode = Atomic<Bool>(false)
    private let lastFull = Atomic<UInt64>(0)  // uptime ns of the last push that found the ring full
    private let episodeFulls = Atomic<UInt64>(0)
    /// A full-ring episode ends after this long without the ring being full.
    static var quietEndsEpisode: UInt64 { 1_000_000_000 }
    private let logger: Logger
    /// How long a producer waits for a consumer that is not running.
    let stoppedConsumerWait: Duration

    init(capacity: Int, logger: Logger, stoppedConsumerWait: Duration = .milliseconds(200)) {
        ring = SPSCQueue(capacity: capacity)
        self.logger = logger
        self.stoppedConsumerWait = stoppedConsumerWait
    }

    /// Pushes that found the ring full (and waited).
    var fullEvents: UInt64 { fullCount.load(ordering: .relaxed) }
    var isEmpty: Bool { ring.isEmpty }

    /// Producer: queues `element` and rings the consumer. When the ring is
    /// full, waits for room while `consumerRunning()`; false only when the
    /// consumer is not running and the ring stays full for `stoppedConsumerWait`.
    func push(_ element: Element, consumerRunning: () -> Bool) -> Bool {
        if ring.push(element) {
            bell.ring()
            if inEpisode.load(ordering: .relaxed) { endEpisodeIfQuiet() }
            return true
        }
        return pushWhenFull(element, consumerRunning: consumerRunning)
    }

    @inline(never)
    private func endEpisodeIfQuiet() {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now &- lastFull.load(ordering: .relaxed) > CommandQueue.quietEndsEpisode,
              inEpisode.exchange(false, ordering: .relaxed) else { return }
        logger.info("media command queue has room again",
                    metadata: ["queue.full.waits": "\(episodeFulls.exchange(0, ordering: .relaxed))"])
    }

    @inline(never)
    private func pushWhenFull(_ element: Element, consumerRunning: () -> Bool) -> Bool {
        fullCount.add(1, ordering: .relaxed)
        episodeFulls.add(1, ordering: .relaxed)
        lastFull.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        if !inEpisode.exchange(true, ordering: .relaxed) {
            logger.warning("media command queue full: waiting for the media thread to drain it",
                           metadata: ["queue.capacity": "\(ring.capacity)"])
        }
        var stoppedSince: ContinuousClock.Instant?  // when the consumer was first seen not running
        while true {
            roomWanted.store(true, ordering: .sequentiallyConsistent)
            if ring.push(element) {
                roomWanted.store(false, ordering: .relaxed)
                bell.ring()
                return true
            }
            bell.ring()
            if consumerRunning() {
                stoppedSince = nil
            } else {
                let now = ContinuousClock.now
                if stoppedSince == nil { stoppedSince = now }
                if now - stoppedSince! >= stoppedConsumerWait {
                    roomWanted.store(false, ordering: .relaxed)
                    logger.error("media command dropped: the queue is full and the media engine is not running",
                                 metadata: ["queue.capacity": "\(ring.capacity)"])
                    return false
                }
            }
            _ = room.wait(timeout: .now() + .milliseconds(20))  // a tick: then look at the consumer again
        }
    }

    /// Consumer: every queued element to `body`, in order; then a waiting
    /// producer is told there is room. Returns how many. No allocation, no lock.
    @inline(__always)
    func drain(_ body: (Element) -> Void) -> Int {
        var n = 0
        while let element = ring.pop() {
            body(element)
            n += 1
        }
        if roomWanted.load(ordering: .relaxed), roomWanted.exchange(false, ordering: .sequentiallyConsistent) {
            room.signal()
        }
        return n
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Dispatch
import Synchronization

/// How a thread with nothing to do sleeps until another thread has work for
/// it, without a poll loop: the owner ``sleep(unless:)``s, a producer puts
/// its work where the owner looks (a queue, a flag) and then ``ring()``s.
///
/// Ringing is an atomic exchange; the one system call (a futex wake) happens
/// only when the owner is actually asleep, so a real-time thread may ring on
/// every event it pushes: no lock, no allocation, no syscall while the
/// consumer is awake.
public final class Doorbell: Sendable {
    private let sleeping = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    public init() {}

    /// Owner thread: blocks until ``ring()`` unless `pending()` (the owner's
    /// check for work) is already true. `pending` is evaluated after the
    /// owner has announced it is going to sleep, so work pushed meanwhile is
    /// never missed: either the check sees it or the producer's ring wakes us.
    public func sleep(unless pending: () -> Bool) {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)  // the store before the owner's loads
        if pending() {
            // Take the announcement back; if a producer took it first, its
            // signal is on the way and must be consumed.
            if sleeping.exchange(false, ordering: .sequentiallyConsistent) { return }
        }
        semaphore.wait()
    }

    /// Any thread, after publishing work: wakes the owner if it sleeps.
    @inline(__always)
    public func ring() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)  // the producer's push before this load
        if sleeping.load(ordering: .sequentiallyConsistent),
           sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            semaphore.signal()
        }
    }
}

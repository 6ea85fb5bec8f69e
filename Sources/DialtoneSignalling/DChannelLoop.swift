// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Foundation
import Synchronization

/// The thread that runs D-channels: one `poll` over every member's
/// D-channel descriptor and a wake-up pipe, as a PRI stack in C polls all
/// its spans in one loop. Each member's libpri instance is created, fed and
/// timed only on this thread.
///
/// A frame arriving on several spans, or commands for several, cost one
/// wake-up, not one per span's thread. The pipe is written only when the
/// thread sleeps in `poll` (``ring()``), once per sleep. The thread runs
/// while the loop has members and ends when the last one stops.
///
/// The daemon's D-channels share ``shared``; the line simulator (the far
/// end, other equipment) has a loop of its own.
public final class DChannelLoop: @unchecked Sendable {
    /// The process's loop (``DChannel``'s default).
    public static let shared = DChannelLoop(name: "dialtone.dchan")

    public let name: String

    private struct Requests {
        var attach: [DChannel] = []
        var detach: [DChannel] = []
        var threadRunning = false
    }
    private let requests = Mutex(Requests())
    /// Wakes the thread out of `poll`; see ``ring()``.
    private let wake = TickWaiter()
    /// True while the thread is in, or on its way into, `poll`; the producer
    /// that takes it back from true to false writes the wake-up byte.
    private let polling = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)

    // Loop-thread state.
    private var members: [DChannel] = []
    private var fds: [pollfd] = []

    public init(name: String) {
        self.name = name
    }

    /// Whether the caller is this loop's thread (where ``DChannel/stop()``
    /// cannot wait for the loop).
    var isCurrentThread: Bool {
        threadID.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self()))
    }

    /// After a producer queued work for a member: wakes the thread if it
    /// polls (the ``Doorbell`` handshake: the thread announces ``polling``
    /// and then looks at the queues; a producer queues and then looks at
    /// ``polling``), so at most one write per sleep and none while awake.
    @inline(__always)
    func ring() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)  // the push before the load
        if polling.load(ordering: .sequentiallyConsistent),
           polling.exchange(false, ordering: .sequentiallyConsistent) {
            wake.signal()
        }
    }

    func attach(_ channel: DChannel) {
        let startThread = requests.withLock { r -> Bool in
            r.attach.append(channel)
            if r.threadRunning { return false }
            r.threadRunning = true
            return true
        }
        if startThread {
            let thread = Thread { [self] in run() }
            thread.name = name
            thread.start()
        } else {
            wake.signal()
        }
    }

    func detach(_ channel: DChannel) {
        requests.withLock { $0.detach.append(channel) }
        wake.signal()  // unconditionally: the thread may be anywhere in its loop
    }

    // MARK: Loop thread

    private func run() {
        let me = UInt(bitPattern: Int(bitPattern: pthread_self()))
        threadID.store(me, ordering: .releasing)
        // A thread started after this one decided to end may have stored its own id already.
        defer { _ = threadID.compareExchange(expected: me, desired: 0, ordering: .acquiringAndReleasing) }
        let clock = ContinuousClock()
        while true {
            guard updateMembers() else { return }
            var now = clock.now
            var tv = timeval()
            gettimeofday(&tv, nil)
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0))
            var timeout: Int32 = 1000
            for member in members {
                fds.append(pollfd(fd: member.pollDescriptor(now: now), events: Int16(POLLIN | POLLPRI), revents: 0))
                timeout = min(timeout, member.nextTimeoutMs(now: tv))
            }
            // Announce the sleep, then look at the queues (see ring()): work
            // queued before the announcement is seen here and poll does not
            // block; work queued after it rings the pipe.
            polling.store(true, ordering: .sequentiallyConsistent)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            if members.contains(where: { $0.hasWork }) || requests.withLock({ !$0.attach.isEmpty || !$0.detach.isEmpty }) {
                timeout = 0
            }
            let r = poll(&fds, nfds_t(fds.count), timeout)
            // Awake: producers queue without a system call until the next
            // poll. One that took the flag first has its byte in the pipe
            // (or on the way); it is read when poll next reports it.
            polling.store(false, ordering: .sequentiallyConsistent)
            if r < 0 && errno != EINTR && errno != EAGAIN {
                // Not expected (EFAULT, EINVAL): don't spin.
                usleep(10_000)
            }
            if fds[0].revents != 0 { wake.takeSignalled() }
            now = clock.now
            for (i, member) in members.enumerated() where fds[i + 1].revents != 0 {
                member.serviceDescriptor(fds[i + 1].revents, now: now)
            }
            for member in members { member.runCommandsAndTimers() }
        }
    }

    /// Takes members in and lets them go; false (the thread ends) when none is left.
    private func updateMembers() -> Bool {
        let (attach, detach) = requests.withLock { r -> ([DChannel], [DChannel]) in
            defer { r.attach.removeAll(); r.detach.removeAll() }
            return (r.attach, r.detach)
        }
        for channel in attach where channel.open() {
            members.append(channel)
        }
        for channel in detach {
            members.removeAll { $0 === channel }
            channel.close()
        }
        guard members.isEmpty else { return true }
        return !requests.withLock { r -> Bool in
            guard r.attach.isEmpty && r.detach.isEmpty else { return false }
            r.threadRunning = false
            return true
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc
import Synchronization

/// Two virtual spans joined back to back in one process, as if by a cable:
/// the D-channel is a SEQPACKET socket pair, and every clock tick the link
/// moves one 160-byte frame per B-channel in use at either end in each
/// direction (idle code when the sender had nothing queued); a channel
/// neither end uses carries nothing and costs nothing. ``cut()`` takes the cable out: both ends
/// go into red alarm and nothing crosses until ``restore()``.
public final class VirtualLink: ClockedWire, @unchecked Sendable {
    public let a: VirtualSpan
    public let b: VirtualSpan
    private let connected = Atomic<Bool>(true)
    private let clock: VirtualClock

    /// Creates the pair. `a` and `b` are the two ends' names.
    public init(a nameA: String, b nameB: String, type: SpanType, law: G711Law? = nil,
                clock: VirtualClock = .shared) throws(SpanError) {
        let law = law ?? type.defaultLaw
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0 else {
            throw SpanError(.openFailed, span: nameA, operation: "socketpair", errno: errno)
        }
        self.clock = clock
        a = VirtualSpan(name: nameA, type: type, law: law, dchannelFD: fds[0], peerName: nameB)
        b = VirtualSpan(name: nameB, type: type, law: law, dchannelFD: fds[1], peerName: nameA)
        a.link = self
        b.link = self
        clock.attach(self)
    }

    /// Detaches from the clock; the spans stop carrying frames.
    public func close() {
        clock.detach(self)
        a.stop()
        b.stop()
    }

    public var isConnected: Bool { connected.load(ordering: .acquiring) }

    /// Takes the cable out (loss of signal): red alarm on both ends.
    public func cut() {
        guard connected.exchange(false, ordering: .acquiringAndReleasing) else { return }
        a.setAlarms(.red)
        b.setAlarms(.red)
    }

    /// Puts the cable back: alarms clear and frames flow again.
    public func restore() {
        guard !connected.exchange(true, ordering: .acquiringAndReleasing) else { return }
        a.setAlarms(.none)
        b.setAlarms(.none)
    }

    /// Moves a frame each way on every channel either end uses; an idle link costs nothing.
    public func clockTick() {
        let channels = a.channelsInUse | b.channelsInUse
        if channels == 0 { return }
        let up = isConnected
        a.transmit(to: b, connected: up, channels: channels)
        b.transmit(to: a, connected: up, channels: channels)
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc
import Synchronization

/// A span in user space: the same interface as a DAHDI span, with its far
/// end another VirtualSpan (in process, see ``VirtualLink``).
public final class VirtualSpan: SpanDriver, @unchecked Sendable {
    public let name: String
    public let type: SpanType
    public let law: G711Law
    public let peerName: String
    public var identity: String { "virtual:\(name)<->\(peerName)" }
    public var dchannel: any DChannelPort { dport }

    let dport: VirtualDChannel
    weak var link: VirtualLink?
    /// Indexed by Q.931 channel number (index 0 and the D timeslot unused).
    private let tx: [FrameRing]
    private let rx: [FrameRing]
    /// Bit `ch` set: channel `ch` is in use at this end (``setInUse(channel:_:)``).
    private let inUseBits = Atomic<UInt64>(0)
    private let alarmBits = Atomic<Int>(0)
    private let running = Atomic<Bool>(false)
    private let handler = Mutex<(@Sendable (SpanEvent) -> Void)?>(nil)

    /// Frames of slack per direction: 32 × 20 ms, as the DAHDI VM recipe needed.
    public static let ringFrames = 32

    init(name: String, type: SpanType, law: G711Law, dchannelFD: Int32, peerName: String) {
        self.name = name
        self.type = type
        self.law = law
        self.peerName = peerName
        dport = VirtualDChannel(fd: dchannelFD)
        tx = (0...type.timeslots).map { _ in FrameRing(capacity: VirtualSpan.ringFrames) }
        rx = (0...type.timeslots).map { _ in FrameRing(capacity: VirtualSpan.ringFrames) }
        dport.span = self
    }

    public var alarms: SpanAlarms { SpanAlarms(rawValue: alarmBits.load(ordering: .acquiring)) }
    public var isRunning: Bool { running.load(ordering: .acquiring) }

    public func start() throws(SpanError) {
        running.store(true, ordering: .releasing)
        emit(.started)
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        emit(.stopped)
    }

    @inline(__always) private func valid(_ channel: Int) -> Bool {
        channel >= 1 && channel <= type.timeslots && channel != type.dchannelTimeslot
    }

    public func readFrame(channel: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard valid(channel) else { return 0 }
        return rx[channel].pop(into: buffer)
    }

    public func writeFrame(channel: Int, from buffer: UnsafeRawBufferPointer) -> Int {
        guard valid(channel) else { return 0 }
        return tx[channel].push(buffer) ? min(buffer.count, frameBytes) : 0
    }

    public func flush(channel: Int) {
        guard valid(channel) else { return }
        rx[channel].drain()
    }

    /// A virtual link carries a channel only while one of its ends uses it.
    public func setInUse(channel: Int, _ inUse: Bool) {
        guard valid(channel) else { return }
        let bit = UInt64(1) << UInt64(channel)
        if inUse {
            let old = inUseBits.bitwiseOr(bit, ordering: .acquiringAndReleasing).oldValue
            if old & bit == 0 { rx[channel].drain() }  // what arrived while we did not listen is stale
        } else {
            inUseBits.bitwiseAnd(~bit, ordering: .acquiringAndReleasing)
        }
    }

    /// The channels in use at this end, as bits.
    var channelsInUse: UInt64 { inUseBits.load(ordering: .acquiring) }

    public func setEventHandler(_ handler: @escaping @Sendable (SpanEvent) -> Void) {
        self.handler.withLock { $0 = handler }
    }

    public func setMaintenance(_ mode: MaintenanceMode) throws(SpanError) {
        if mode != .none {
            throw SpanError(.notSupported, span: name, operation: "maintenance loop \(mode.rawValue) on a virtual span")
        }
    }

    func setAlarms(_ alarms: SpanAlarms) {
        let old = alarmBits.exchange(alarms.rawValue, ordering: .acquiringAndReleasing)
        if old != alarms.rawValue { emit(.alarmsChanged(alarms)) }
    }

    private func emit(_ event: SpanEvent) {
        let h = handler.withLock { $0 }
        h?(event)
    }

    /// Clock-thread side: one frame per B-channel in `channels` (bits) from
    /// our tx to the peer's rx. Channels neither end uses are not touched.
    func transmit(to peer: VirtualSpan, connected: Bool, channels: UInt64) {
        let idle = peer.law.idleByte
        let live = connected && isRunning
        var bits = channels
        while bits != 0 {
            let ch = bits.trailingZeroBitCount
            bits &= bits - 1
            let ring = tx[ch]
            if !live { ring.drain() }
            // Idle only when nothing was queued: a frame the full peer ring
            // dropped is one lost frame (one overrun), not two.
            if !live || ring.count == 0 {
                peer.rx[ch].push(repeating: idle)
            } else {
                _ = ring.move(to: peer.rx[ch])
            }
        }
    }
}

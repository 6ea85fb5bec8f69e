// SPDX-License-Identifier: GPL-2.0-or-later
import Foundation
import Glibc
import Synchronization

/// Message types on a virtual-span socket (docs/virtual-span.md).
public enum SocketSpanMessage: UInt8, Sendable {
    /// Server → client on connect: "E1 alaw" / "T1 ulaw" (ASCII).
    case hello = 0x48  // 'H'
    /// A D-channel HDLC frame followed by its 2 FCS bytes.
    case dchannel = 0x44  // 'D'
    /// One 20 ms tick: 160 bytes for each B-channel, in ascending channel order.
    case bearer = 0x42  // 'B'
    /// The sender's alarm bits (UInt32 little endian, DAHDI_ALARM_* values).
    case alarms = 0x41  // 'A'
}

/// A virtual span whose far end is another process attached over a Unix
/// SEQPACKET socket (one message per record; framing in docs/virtual-span.md).
///
/// The ``Role/server`` end (the daemon) listens, is the clock master, and
/// sends a bearer message every tick of its ``VirtualClock``; the
/// ``Role/client`` end (test equipment, a line simulator, a second Dialtone)
/// answers every bearer message with its own, so both ends run at the
/// server's rate. While no peer is attached the span is in red alarm.
public final class SocketSpan: SpanDriver, ClockedWire, @unchecked Sendable {
    public enum Role: Sendable { case server, client }

    public let name: String
    public let type: SpanType
    public let law: G711Law
    public let path: String
    public let role: Role
    public var identity: String { "virtual:\(name) \(role == .server ? "listening on" : "attached to") \(path)" }
    public var dchannel: any DChannelPort { dport }

    private let dport: SocketDChannel
    private let tx: [FrameRing]
    private let rx: [FrameRing]
    private let peerFD = Atomic<Int32>(-1)
    private var listenFD: Int32 = -1
    private let running = Atomic<Bool>(false)
    private let alarmBits = Atomic<Int>(SpanAlarms.red.rawValue)
    private let handler = Mutex<(@Sendable (SpanEvent) -> Void)?>(nil)
    private let clock: VirtualClock?
    private let tickClock: PeerClock?
    private let sendBuffer: UnsafeMutableRawBufferPointer
    private let bearerCount: Int

    /// Server end: listens on `path` and is timed by `clock`.
    public convenience init(server name: String, type: SpanType, law: G711Law? = nil, path: String,
                            clock: VirtualClock = .shared) {
        self.init(name: name, type: type, law: law, path: path, role: .server, clock: clock, tickClock: nil)
    }

    /// Client end: attaches to a server's `path`; ``frameClock`` ticks as
    /// the server's bearer messages arrive.
    public convenience init(client name: String, type: SpanType, law: G711Law? = nil, path: String) {
        self.init(name: name, type: type, law: law, path: path, role: .client, clock: nil, tickClock: PeerClock())
    }

    private init(name: String, type: SpanType, law: G711Law?, path: String, role: Role,
                 clock: VirtualClock?, tickClock: PeerClock?) {
        self.name = name
        self.type = type
        self.law = law ?? type.defaultLaw
        self.path = path
        self.role = role
        self.clock = clock
        self.tickClock = tickClock
        bearerCount = type.bearerChannels.count
        dport = SocketDChannel()
        tx = (0...type.timeslots).map { _ in FrameRing(capacity: VirtualSpan.ringFrames) }
        rx = (0...type.timeslots).map { _ in FrameRing(capacity: VirtualSpan.ringFrames) }
        sendBuffer = .allocate(byteCount: 1 + bearerCount * frameBytes, alignment: 16)
        dport.span = self
    }

    deinit { sendBuffer.deallocate() }

    /// The clock media threads on a client end must use.
    public var frameClock: any FrameClock { tickClock ?? clock! }

    public var alarms: SpanAlarms { SpanAlarms(rawValue: alarmBits.load(ordering: .acquiring)) }
    public var isAttached: Bool { peerFD.load(ordering: .acquiring) >= 0 }

    public func start() throws(SpanError) {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard path.utf8.count <= Self.maxPathBytes else {
            running.store(false, ordering: .releasing)
            throw SpanError(.openFailed, span: name, operation: "use socket path \(path)", errno: ENAMETOOLONG)
        }
        if role == .server {
            unlink(path)
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0)
            var addr = SocketSpan.address(path)
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, bound == 0, listen(fd, 1) == 0 else {
                let e = errno
                if fd >= 0 { Glibc.close(fd) }
                running.store(false, ordering: .releasing)
                throw SpanError(.openFailed, span: name, operation: "listen on \(path)", errno: e)
            }
            listenFD = fd
            clock?.attach(self)
            Thread { [self] in acceptLoop() }.start()
        } else {
            let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0)
            var addr = SocketSpan.address(path)
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, ok == 0 else {
                let e = errno
                if fd >= 0 { Glibc.close(fd) }
                running.store(false, ordering: .releasing)
                throw SpanError(.openFailed, span: name, operation: "attach to \(path)", errno: e)
            }
            attach(fd)
        }
        emit(.started)
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        clock?.detach(self)
        if listenFD >= 0 {
            shutdown(listenFD, Int32(SHUT_RDWR))
            Glibc.close(listenFD)
            listenFD = -1
            unlink(path)
        }
        let fd = peerFD.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        emit(.stopped)
    }

    private func acceptLoop() {
        while running.load(ordering: .acquiring) {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            if isAttached {  // one far end at a time
                Glibc.close(fd)
                continue
            }
            let hello = Array("\(type.rawValue) \(law.rawValue)".utf8)
            send(.hello, hello, fd: fd)
            attach(fd)
        }
    }

    private func attach(_ fd: Int32) {
        clock?.hold()  // the far end is timed by our bearer messages: tick while it is there
        peerFD.store(fd, ordering: .releasing)
        setAlarms(.none)
        Thread { [self] in readLoop(fd) }.start()
    }

    private func detached(_ fd: Int32) {
        _ = peerFD.compareExchange(expected: fd, desired: -1, ordering: .acquiringAndReleasing)
        Glibc.close(fd)
        clock?.release()
        setAlarms(.red)
    }

    private let malformedTotal = Atomic<Int>(0)
    /// Read thread only.
    private var malformedPending = 0
    private var malformedReported: ContinuousClock.Instant?

    /// Reads messages from the peer until it goes away.
    private func readLoop(_ fd: Int32) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 + 31 * frameBytes + 64, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            guard let kind = SocketSpanMessage(rawValue: buffer[0]) else {
                malformed("unknown message type 0x\(String(buffer[0], radix: 16)) (\(n) bytes)")
                continue
            }
            let payload = UnsafeRawBufferPointer(rebasing: buffer[1..<n])
            switch kind {
            case .dchannel:
                if payload.count < 3 { malformed("D-channel frame of \(payload.count) bytes (a Q.921 frame has at least 3)") }
                dport.deliver(payload)
            case .bearer:
                if payload.count != type.bearerChannels.count * frameBytes {
                    malformed("bearer message of \(payload.count) bytes, expected \(type.bearerChannels.count * frameBytes)")
                }
                var off = 0
                for ch in type.bearerChannels where off + frameBytes <= payload.count {
                    rx[ch].push(UnsafeRawBufferPointer(rebasing: payload[off..<(off + frameBytes)]))
                    off += frameBytes
                }
                if role == .client {
                    sendBearer(fd: fd)
                    tickClock?.tick()
                }
            case .alarms:
                if payload.count < 4 { malformed("alarms message of \(payload.count) bytes, expected 4") }
                if payload.count >= 4 {
                    let bits = Int(payload.loadUnaligned(as: UInt32.self).littleEndian)
                    // The far end's red alarm is our yellow (remote) alarm.
                    setAlarms(bits & SpanAlarms.red.rawValue != 0 ? .yellow : .none)
                }
            case .hello:
                break
            }
        }
        detached(fd)
    }

    /// Counts a message that did not fit the framing and reports the count
    /// to the event handler at most once a second (the daemon logs it).
    private func malformed(_ what: String) {
        malformedTotal.add(1, ordering: .relaxed)
        malformedPending += 1
        let now = ContinuousClock.now
        if malformedReported.map({ now - $0 >= .seconds(1) }) ?? true {
            malformedReported = now
            emit(.malformedFrames(count: malformedPending, last: what))
            malformedPending = 0
        }
    }

    /// Messages that did not fit the framing since the span started.
    public var malformedFrames: Int { malformedTotal.load(ordering: .relaxed) }

    /// Server side: the clock tick sends one bearer message.
    public func clockTick() {
        let fd = peerFD.load(ordering: .acquiring)
        if fd >= 0 { sendBearer(fd: fd) }
    }

    private func sendBearer(fd: Int32) {
        sendBuffer[0] = SocketSpanMessage.bearer.rawValue
        var off = 1
        for ch in type.bearerChannels {
            let slot = UnsafeMutableRawBufferPointer(rebasing: sendBuffer[off..<(off + frameBytes)])
            if tx[ch].pop(into: slot) == 0 {
                slot.initializeMemory(as: UInt8.self, repeating: law.idleByte)
            }
            off += frameBytes
        }
        _ = Glibc.send(fd, sendBuffer.baseAddress, off, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
    }

    func send(_ kind: SocketSpanMessage, _ payload: [UInt8], fd: Int32? = nil) {
        let target = fd ?? peerFD.load(ordering: .acquiring)
        guard target >= 0 else { return }
        let message = [kind.rawValue] + payload
        _ = Glibc.send(target, message, message.count, Int32(MSG_NOSIGNAL))
    }

    func sendDFrame(_ frame: UnsafeRawBufferPointer) {
        let fd = peerFD.load(ordering: .acquiring)
        guard fd >= 0 else { return }
        var header = SocketSpanMessage.dchannel.rawValue
        var iov = [iovec(iov_base: &header, iov_len: 1),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: frame.baseAddress), iov_len: frame.count)]
        iov.withUnsafeMutableBufferPointer { v in
            var msg = msghdr()
            msg.msg_iov = v.baseAddress
            msg.msg_iovlen = 2
            _ = sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
        }
    }

    @inline(__always) private func valid(_ channel: Int) -> Bool {
        channel >= 1 && channel <= type.timeslots && channel != type.dchannelTimeslot
    }

    public func readFrame(channel: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        valid(channel) ? rx[channel].pop(into: buffer) : 0
    }

    public func writeFrame(channel: Int, from buffer: UnsafeRawBufferPointer) -> Int {
        guard valid(channel) else { return 0 }
        return tx[channel].push(buffer) ? min(buffer.count, frameBytes) : 0
    }

    public func flush(channel: Int) {
        if valid(channel) { rx[channel].drain() }
    }

    public func setEventHandler(_ handler: @escaping @Sendable (SpanEvent) -> Void) {
        self.handler.withLock { $0 = handler }
    }

    public func setMaintenance(_ mode: MaintenanceMode) throws(SpanError) {
        if mode != .none {
            throw SpanError(.notSupported, span: name, operation: "maintenance loop \(mode.rawValue) on a virtual span")
        }
    }

    private func setAlarms(_ alarms: SpanAlarms) {
        let old = alarmBits.exchange(alarms.rawValue, ordering: .acquiringAndReleasing)
        if old != alarms.rawValue { emit(.alarmsChanged(alarms)) }
    }

    private func emit(_ event: SpanEvent) {
        let h = handler.withLock { $0 }
        h?(event)
    }

    /// The longest Unix socket path: `sockaddr_un.sun_path` holds 108 bytes with the NUL.
    public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A Unix socket address for `path` (callers refuse longer paths than
    /// ``maxPathBytes``; the config does, ``start()`` does).
    public static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(maxPathBytes)) + [0]
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }
}

/// The D-channel of a socket span: frames from the peer are queued on an
/// internal SEQPACKET pair so the D-channel thread can poll a descriptor.
final class SocketDChannel: DChannelPort, @unchecked Sendable {
    private let readFD: Int32
    private let queueFD: Int32
    weak var span: SocketSpan?

    init() {
        var fds: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0)
        readFD = fds[0]
        queueFD = fds[1]
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(readFD)
        close(queueFD)
    }

    var pollDescriptor: Int32 { readFD }

    func deliver(_ frame: UnsafeRawBufferPointer) {
        _ = send(queueFD, frame.baseAddress, frame.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
    }

    func readFrame(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = recv(readFD, buffer.baseAddress, buffer.count, 0)
        return max(n, 0)
    }

    func writeFrame(_ frame: UnsafeRawBufferPointer) -> Int {
        span?.sendDFrame(frame)
        return frame.count
    }
}

/// A frame clock that ticks when the server's bearer message arrives
/// (a client end is timed by the line, like a slave TDM port).
public final class PeerClock: FrameClock, @unchecked Sendable {
    private let waiters = Mutex<[TickWaiter]>([])  // the active ones
    private let count = Atomic<UInt64>(0)
    public var ticks: UInt64 { count.load(ordering: .relaxed) }

    public func subscribe() -> TickWaiter {
        let w = TickWaiter()
        waiters.withLock { $0.append(w) }
        return w
    }

    public func unsubscribe(_ waiter: TickWaiter) {
        waiters.withLock { $0.removeAll { $0 === waiter } }
    }

    /// The server's bearer messages keep coming; a paused waiter is just not woken.
    public func pause(_ waiter: TickWaiter) { unsubscribe(waiter) }

    public func resume(_ waiter: TickWaiter) {
        waiter.discardPending()
        waiters.withLock { if !$0.contains(where: { $0 === waiter }) { $0.append(waiter) } }
    }

    func tick() {
        count.add(1, ordering: .relaxed)
        for w in waiters.withLock({ $0 }) { w.signal() }
    }
}

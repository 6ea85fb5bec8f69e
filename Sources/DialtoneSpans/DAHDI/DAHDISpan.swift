// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI
import Glibc
import Synchronization

/// A span on a DAHDI line card (or a dahdi_dynamic loopback span), opened
/// channel by channel through `/dev/dahdi/channel` + `DAHDI_SPECIFY` the way
/// chan_dahdi does. The whole ioctl sequence is in ``start()``.
public final class DAHDISpan: SpanDriver, @unchecked Sendable {
    public let name: String
    public let type: SpanType
    public let law: G711Law
    public let spanNumber: Int
    public let baseChannel: Int
    public let bearerChannels: [Int]
    public let dchannelTimeslot: Int
    public var identity: String { "dahdi:span \(spanNumber) channels \(baseChannel)-\(baseChannel + type.timeslots - 1)" }
    public var dchannel: any DChannelPort { dport }

    /// B-channel buffers: 32 × 160 bytes (FACTS: 8 lost audio under load in the VM).
    public static let bearerBuffers: Int32 = 32
    /// D-channel buffers, as chan_dahdi: 32 × 1024 bytes.
    public static let dchannelBuffers: Int32 = 32

    let sys: any DAHDISystemCalls
    private let devicePath: String
    private var fds: [Int32]  // by timeslot; -1 when closed
    private let dport: DAHDIDChannel
    private let alarmBits = Atomic<Int>(0)
    private let handler = Mutex<(@Sendable (SpanEvent) -> Void)?>(nil)

    public init(name: String, type: SpanType, law: G711Law, spanNumber: Int, baseChannel: Int,
                bearerChannels: [Int], dchannel: Int, system: any DAHDISystemCalls = LiveSystemCalls(),
                devicePath: String = "/dev/dahdi/channel") {
        self.name = name
        self.type = type
        self.law = law
        self.spanNumber = spanNumber
        self.baseChannel = baseChannel
        self.bearerChannels = bearerChannels
        dchannelTimeslot = dchannel
        sys = system
        self.devicePath = devicePath
        fds = Array(repeating: -1, count: type.timeslots + 1)
        dport = DAHDIDChannel()
        dport.span = self
    }

    /// The DAHDI channel number of a timeslot.
    public func dahdiChannel(_ timeslot: Int) -> Int32 { Int32(baseChannel + timeslot - 1) }

    public var alarms: SpanAlarms { SpanAlarms(rawValue: alarmBits.load(ordering: .acquiring)) }

    // MARK: The ioctl sequence

    public func start() throws(SpanError) {
        guard fds[dchannelTimeslot] < 0 else { throw SpanError(.alreadyStarted, span: name, operation: "start") }
        do throws(SpanError) {
            let d = try openChannel(dchannelTimeslot)
            fds[dchannelTimeslot] = d
            let sigtype = try params(d, dchannelTimeslot).sigtype
            if sigtype == CDAHDI_SIG_HDLCFCS || sigtype == CDAHDI_SIG_HARDHDLC {
                // Configured as dchan/hardhdlc in system.conf: already HDLC with FCS.
            } else if sigtype == CDAHDI_SIG_CLEAR {
                // A clear channel used as the D-channel: switch it to HDLC with FCS.
                var one: Int32 = 1
                try ioctl(d, .hdlcFCSMode, &one, dchannelTimeslot)
            } else {
                throw SpanError(.notSupported, span: name, channel: Int(dahdiChannel(dchannelTimeslot)),
                                operation: "D-channel signalling type 0x\(String(sigtype, radix: 16)) is not HDLC or clear (configure it as dchan in system.conf)")
            }
            var d_bi = dahdi_bufferinfo(txbufpolicy: DAHDIConst.policyImmediate, rxbufpolicy: DAHDIConst.policyImmediate,
                                        numbufs: DAHDISpan.dchannelBuffers, bufsize: 1024, readbufs: 0, writebufs: 0)
            try ioctl(d, .setBufinfo, &d_bi, dchannelTimeslot)
            dport.fd = d

            for ts in bearerChannels {
                let fd = try openChannel(ts)
                fds[ts] = fd
                _ = try params(fd, ts)
                var block: Int32 = Int32(frameBytes)
                try ioctl(fd, .setBlocksize, &block, ts)
                var lawValue = law == .alaw ? DAHDIConst.lawAlaw : DAHDIConst.lawMulaw
                try ioctl(fd, .setLaw, &lawValue, ts)
                var bi = dahdi_bufferinfo(txbufpolicy: DAHDIConst.policyImmediate, rxbufpolicy: DAHDIConst.policyImmediate,
                                          numbufs: DAHDISpan.bearerBuffers, bufsize: Int32(frameBytes), readbufs: 0, writebufs: 0)
                try ioctl(fd, .setBufinfo, &bi, ts)
            }
            refreshAlarms()
        } catch {
            stop()
            throw error
        }
        emit(.started)
    }

    public func stop() {
        var closed = false
        dport.fd = -1  // first, so the D-channel thread stops using it
        for i in fds.indices where fds[i] >= 0 {
            _ = sys.close(fds[i])
            fds[i] = -1
            closed = true
        }
        dport.fd = -1
        if closed { emit(.stopped) }
    }

    private func openChannel(_ ts: Int) throws(SpanError) -> Int32 {
        let (fd, e) = sys.retrying { sys.open(devicePath, O_RDWR | O_NONBLOCK) }
        guard fd >= 0 else {
            throw SpanError(.openFailed, span: name, channel: Int(dahdiChannel(ts)), operation: "open \(devicePath)", errno: e)
        }
        var channo = dahdiChannel(ts)
        do throws(SpanError) {
            try ioctl(fd, .specify, &channo, ts)
        } catch {
            _ = sys.close(fd)
            throw error
        }
        return fd
    }

    private func params(_ fd: Int32, _ ts: Int) throws(SpanError) -> dahdi_params {
        var p = dahdi_params()
        try ioctl(fd, .getParams, &p, ts)
        return p
    }

    private func ioctl<T>(_ fd: Int32, _ op: DAHDIIoctl, _ arg: inout T, _ ts: Int?) throws(SpanError) {
        let (r, e) = withUnsafeMutablePointer(to: &arg) { p in sys.retrying { sys.ioctl(fd, op.request, p) } }
        if r < 0 {
            let code: SpanError.Code = (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == ENOTTY) && op == .maint ? .notSupported : .ioctlFailed
            throw SpanError(code, span: name, channel: ts.map { Int(dahdiChannel($0)) }, operation: "\(op)", errno: e)
        }
    }

    // MARK: Alarms and events

    /// Reads the span's alarms (DAHDI_SPANSTAT) and reports a change.
    func refreshAlarms() {
        guard fds[dchannelTimeslot] >= 0 else { return }
        var info = dahdi_spaninfo()
        info.spanno = Int32(spanNumber)
        do {
            try ioctl(fds[dchannelTimeslot], .spanstat, &info, nil)
        } catch {
            return
        }
        let bits = SpanAlarms(rawValue: Int(info.alarms) & 0x3F)
        let old = alarmBits.exchange(bits.rawValue, ordering: .acquiringAndReleasing)
        if old != bits.rawValue { emit(.alarmsChanged(bits)) }
    }

    /// A read returned ELAST: fetch and act on the pending event.
    func pendingEvent(fd: Int32) {
        var event: Int32 = 0
        do { try ioctl(fd, .getEvent, &event, nil) } catch { return }
        switch event {
        case DAHDIConst.eventAlarm, DAHDIConst.eventNoAlarm: refreshAlarms()
        case DAHDIConst.eventAbort: emit(.dchannelAbort)
        case DAHDIConst.eventBadFCS: emit(.dchannelBadFCS)
        default: break
        }
    }

    public func setEventHandler(_ handler: @escaping @Sendable (SpanEvent) -> Void) {
        self.handler.withLock { $0 = handler }
    }

    private func emit(_ event: SpanEvent) {
        let h = handler.withLock { $0 }
        h?(event)
    }

    public func setMaintenance(_ mode: MaintenanceMode) throws(SpanError) {
        guard fds[dchannelTimeslot] >= 0 else { throw SpanError(.notStarted, span: name, operation: "maintenance") }
        let command: Int32 = switch mode {
        case .none: DAHDIConst.maintNone
        case .localLoop: DAHDIConst.maintLocalLoop
        case .networkLoop: DAHDIConst.maintNetworkLineLoop
        }
        var info = dahdi_maintinfo(spanno: Int32(spanNumber), command: command)
        try ioctl(fds[dchannelTimeslot], .maint, &info, nil)
    }

    // MARK: B-channel I/O (media thread)

    public func readFrame(channel: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard channel > 0, channel < fds.count, fds[channel] >= 0 else { return 0 }
        let n = sys.read(fds[channel], buffer.baseAddress!, min(buffer.count, frameBytes))
        if n > 0 { return n }
        if n < 0 && sys.lastErrno() == CDAHDI_ELAST { pendingEvent(fd: fds[channel]) }
        return 0
    }

    public func writeFrame(channel: Int, from buffer: UnsafeRawBufferPointer) -> Int {
        guard channel > 0, channel < fds.count, fds[channel] >= 0 else { return 0 }
        return max(0, sys.write(fds[channel], buffer.baseAddress!, buffer.count))
    }

    /// Blocks until the channel has a frame to read (or `timeoutMs` passes):
    /// lets line tests time frames by their arrival from the driver.
    public func waitReadable(channel: Int, timeoutMs: Int32) -> Bool {
        guard channel > 0, channel < fds.count, fds[channel] >= 0 else { return false }
        var p = pollfd(fd: fds[channel], events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, timeoutMs) > 0
    }

    public func flush(channel: Int) {
        guard channel > 0, channel < fds.count, fds[channel] >= 0 else { return }
        var what = DAHDIConst.flushRead
        try? ioctl(fds[channel], .flush, &what, channel)
    }
}

/// The D-channel of a DAHDI span: whole HDLC frames with their 2 FCS bytes.
final class DAHDIDChannel: DChannelPort, @unchecked Sendable {
    private let descriptor = Atomic<Int32>(-1)
    var fd: Int32 {
        get { descriptor.load(ordering: .acquiring) }
        set { descriptor.store(newValue, ordering: .releasing) }
    }
    weak var span: DAHDISpan?

    var pollDescriptor: Int32 { fd }

    // The span may be stopped (its descriptors closed) from another thread
    // while the D-channel thread is here, so EBADF is an outcome, not a trap.
    func readFrame(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let span else { return -1 }
        while true {
            let fd = self.fd
            guard fd >= 0 else { return -1 }
            let n = span.sys.read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            let e = span.sys.lastErrno()
            if e == EINTR { continue }
            if e == CDAHDI_ELAST { span.pendingEvent(fd: fd); return -1 }
            return e == EAGAIN ? 0 : -1
        }
    }

    func writeFrame(_ frame: UnsafeRawBufferPointer) -> Int {
        guard let span else { return 0 }
        while true {
            let fd = self.fd
            guard fd >= 0 else { return 0 }
            let n = span.sys.write(fd, frame.baseAddress!, frame.count)
            if n < 0 && span.sys.lastErrno() == EINTR { continue }
            return max(n, 0)
        }
    }
}

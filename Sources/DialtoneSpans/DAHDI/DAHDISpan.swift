// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI
import Glibc
import Synchronization

/// A span on a DAHDI line card (or a dahdi_dynamic loopback span), opened
/// channel by channel through `/dev/dahdi/channel` + `DAHDI_SPECIFY` the way
/// chan_dahdi does. The whole ioctl sequence is in ``start()`` (STYLE §7);
/// docs/span-drivers.md has it as a table.
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
    public static let dchannelBufferSize: Int32 = 1024

    let sys: any DAHDISystemCalls
    private let devicePath: String
    /// Descriptors by timeslot, -1 when closed. Atomic because the media
    /// thread (B-channels) and the D-channel thread read them while
    /// start()/stop() run on a control thread.
    private let fdTable: UnsafeMutablePointer<Atomic<Int32>>
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
        fdTable = .allocate(capacity: type.timeslots + 1)
        for i in 0...type.timeslots { (fdTable + i).initialize(to: Atomic(-1)) }
        dport = DAHDIDChannel()
        dport.span = self
    }

    deinit {
        for i in 0...type.timeslots {
            let fd = (fdTable + i).pointee.exchange(-1, ordering: .acquiringAndReleasing)
            if fd >= 0 { _ = sys.close(fd) }
        }
        fdTable.deinitialize(count: type.timeslots + 1)
        fdTable.deallocate()
    }

    /// The DAHDI channel number of a timeslot.
    public func dahdiChannel(_ timeslot: Int) -> Int32 { Int32(baseChannel + timeslot - 1) }

    public var alarms: SpanAlarms { SpanAlarms(rawValue: alarmBits.load(ordering: .acquiring)) }

    /// The open descriptor of a timeslot, -1 when closed or out of range.
    @inline(__always) func fd(_ timeslot: Int) -> Int32 {
        guard timeslot > 0, timeslot <= type.timeslots else { return -1 }
        return (fdTable + timeslot).pointee.load(ordering: .acquiring)
    }

    @inline(__always) private func setFD(_ timeslot: Int, _ fd: Int32) -> Int32 {
        (fdTable + timeslot).pointee.exchange(fd, ordering: .acquiringAndReleasing)
    }

    // MARK: The ioctl sequence

    /// Opens and configures every channel of the span, in this order:
    ///
    /// D-channel: open O_RDWR|O_NONBLOCK, DAHDI_SPECIFY, DAHDI_GET_PARAMS
    /// (HDLCFCS/HARDHDLC as configured by `dchan`/`hardhdlc`; a clear channel
    /// is switched with DAHDI_HDLCFCSMODE 1; anything else is refused),
    /// DAHDI_SET_BUFINFO immediate/immediate 32 × 1024.
    /// Each B-channel: open, DAHDI_SPECIFY, DAHDI_GET_PARAMS (must be clear:
    /// `bchan`), DAHDI_SET_BLOCKSIZE 160, DAHDI_SETLAW, DAHDI_SET_BUFINFO
    /// immediate/immediate 32 × 160, DAHDI_AUDIOMODE 1.
    /// Then DAHDI_SPANSTAT for the alarms the span starts with.
    public func start() throws(SpanError) {
        guard fd(dchannelTimeslot) < 0 else { throw SpanError(.alreadyStarted, span: name, operation: "start") }
        do throws(SpanError) {
            let d = try openChannel(dchannelTimeslot)
            let sigtype = try params(d, dchannelTimeslot).sigtype
            switch sigtype {
            case DAHDIConst.sigHDLCFCS, DAHDIConst.sigHardHDLC:
                break  // `dchan`/`hardhdlc` in system.conf: already HDLC with FCS.
            case DAHDIConst.sigClear:
                var on: Int32 = 1  // a clear channel used as the D-channel
                try ioctl(d, .hdlcFCSMode, &on, dchannelTimeslot)
            default:
                throw SpanError(.invalidChannel, span: name, channel: Int(dahdiChannel(dchannelTimeslot)),
                                operation: "D-channel signalling type 0x\(String(sigtype, radix: 16)) is not HDLC (configure it as dchan in system.conf); check")
            }
            var dbuf = dahdi_bufferinfo(txbufpolicy: DAHDIConst.policyImmediate, rxbufpolicy: DAHDIConst.policyImmediate,
                                        numbufs: DAHDISpan.dchannelBuffers, bufsize: DAHDISpan.dchannelBufferSize,
                                        readbufs: 0, writebufs: 0)
            try ioctl(d, .setBufinfo, &dbuf, dchannelTimeslot)

            for ts in bearerChannels {
                let b = try openChannel(ts)
                let sig = try params(b, ts).sigtype
                guard sig == DAHDIConst.sigClear else {
                    throw SpanError(.invalidChannel, span: name, channel: Int(dahdiChannel(ts)),
                                    operation: "B-channel signalling type 0x\(String(sig, radix: 16)) is not clear (configure it as bchan in system.conf); check")
                }
                var block = Int32(frameBytes)
                try ioctl(b, .setBlocksize, &block, ts)
                var lawCode = law == .alaw ? DAHDIConst.lawAlaw : DAHDIConst.lawMulaw
                try ioctl(b, .setLaw, &lawCode, ts)
                var bbuf = dahdi_bufferinfo(txbufpolicy: DAHDIConst.policyImmediate, rxbufpolicy: DAHDIConst.policyImmediate,
                                            numbufs: DAHDISpan.bearerBuffers, bufsize: Int32(frameBytes),
                                            readbufs: 0, writebufs: 0)
                try ioctl(b, .setBufinfo, &bbuf, ts)
                var audio: Int32 = 1
                try ioctl(b, .audioMode, &audio, ts)
            }
            refreshAlarms()
        } catch {
            stop()
            throw error
        }
        dport.fd = fd(dchannelTimeslot)
        emit(.started)
    }

    public func stop() {
        dport.fd = -1  // first, so the D-channel thread stops using it
        var closed = false
        for ts in 1...type.timeslots {
            let old = setFD(ts, -1)
            if old >= 0 {
                _ = sys.close(old)
                closed = true
            }
        }
        if closed { emit(.stopped) }
    }

    /// open + DAHDI_SPECIFY. The descriptor is in the table as soon as it is
    /// open, so a failure later in start() closes it with the rest.
    private func openChannel(_ ts: Int) throws(SpanError) -> Int32 {
        let channel = dahdiChannel(ts)
        let fd: Int32
        do {
            fd = try sys.syscall("open") { sys.open(devicePath, O_RDWR | O_NONBLOCK) }
        } catch {
            throw SpanError(.openFailed, span: name, channel: Int(channel), operation: "open \(devicePath)", errno: error.errno)
        }
        _ = setFD(ts, fd)
        var channo = channel
        try ioctl(fd, .specify, &channo, ts)
        return fd
    }

    private func params(_ fd: Int32, _ ts: Int) throws(SpanError) -> dahdi_params {
        var p = dahdi_params()
        try ioctl(fd, .getParams, &p, ts)
        return p
    }

    /// One ioctl through the syscall helper; failures become a SpanError
    /// naming the span, the DAHDI channel and the request.
    /// `mayBeClosed`: the descriptor may be closed by a concurrent stop()
    /// (events, alarms, flush, maintenance); false inside start().
    private func ioctl<T>(_ fd: Int32, _ op: DAHDIIoctl, _ arg: inout T, _ ts: Int?,
                          mayBeClosed: Bool = false) throws(SpanError) {
        do {
            _ = try withUnsafeMutablePointer(to: &arg) { p throws(SystemCallError) in
                try sys.syscall("ioctl", mayBeClosed: mayBeClosed) { sys.ioctl(fd, op.request, p) }
            }
        } catch {
            let code: SpanError.Code = op == .maint && error.unsupported ? .notSupported : .ioctlFailed
            throw SpanError(code, span: name, channel: ts.map { Int(dahdiChannel($0)) }, operation: "\(op)", errno: error.errno)
        }
    }

    // MARK: Alarms and events

    /// Reads the span's alarms (DAHDI_SPANSTAT) and reports a change.
    func refreshAlarms() {
        let d = fd(dchannelTimeslot)
        guard d >= 0 else { return }
        var info = dahdi_spaninfo()
        info.spanno = Int32(spanNumber)
        do { try ioctl(d, .spanstat, &info, nil, mayBeClosed: true) } catch { return }
        let bits = SpanAlarms(dahdi: info.alarms)
        let old = alarmBits.exchange(bits.rawValue, ordering: .acquiringAndReleasing)
        if old != bits.rawValue { emit(.alarmsChanged(bits)) }
    }

    /// A read returned ELAST: fetch the pending event (DAHDI_GETEVENT) and act on it.
    func pendingEvent(fd: Int32) {
        var event: Int32 = 0
        do { try ioctl(fd, .getEvent, &event, nil, mayBeClosed: true) } catch { return }
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

    /// DAHDI_MAINT on the span. Drivers without loops answer EINVAL (or
    /// ENOSYS/EOPNOTSUPP/ENOTTY): that is `.notSupported`.
    public func setMaintenance(_ mode: MaintenanceMode) throws(SpanError) {
        let d = fd(dchannelTimeslot)
        guard d >= 0 else { throw SpanError(.notStarted, span: name, operation: "maintenance") }
        let command: Int32 = switch mode {
        case .none: DAHDIConst.maintNone
        case .localLoop: DAHDIConst.maintLocalLoop
        case .networkLoop: DAHDIConst.maintNetworkLineLoop
        }
        var info = dahdi_maintinfo(spanno: Int32(spanNumber), command: command)
        try ioctl(d, .maint, &info, nil, mayBeClosed: true)
    }

    // MARK: B-channel I/O (media thread)

    public func readFrame(channel: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let f = fd(channel)
        guard f >= 0, channel != dchannelTimeslot, let base = buffer.baseAddress else { return 0 }
        do {
            return try sys.syscall("read", mayBeClosed: true) { sys.read(f, base, min(buffer.count, frameBytes)) }
        } catch {
            if error.eventPending { pendingEvent(fd: f) }
            return 0  // EAGAIN: nothing yet; EBADF: stopped meanwhile
        }
    }

    public func writeFrame(channel: Int, from buffer: UnsafeRawBufferPointer) -> Int {
        let f = fd(channel)
        guard f >= 0, channel != dchannelTimeslot, let base = buffer.baseAddress else { return 0 }
        do {
            return try sys.syscall("write", mayBeClosed: true) { sys.write(f, base, buffer.count) }
        } catch {
            if error.eventPending { pendingEvent(fd: f) }
            return 0  // EAGAIN: DAHDI's buffers are full
        }
    }

    /// Blocks until the channel has a frame to read (or `timeoutMs` passes):
    /// lets line tests time frames by their arrival from the driver.
    public func waitReadable(channel: Int, timeoutMs: Int32) -> Bool {
        let f = fd(channel)
        guard f >= 0 else { return false }
        var p = pollfd(fd: f, events: Int16(POLLIN), revents: 0)
        let r = (try? sys.syscall("poll", mayBeClosed: true) { sys.poll(&p, 1, timeoutMs) }) ?? 0
        return r > 0 && p.revents & Int16(POLLIN) != 0
    }

    /// In use: DAHDI_FLUSH (read) drops what the kernel buffered while no one
    /// read the channel (its 32 buffers overran, harmlessly). Out of use:
    /// nothing; the transmit buffers play out and DAHDI then sends silence.
    public func setInUse(channel: Int, _ inUse: Bool) {
        if inUse { flush(channel: channel) }
    }

    /// DAHDI_FLUSH with DAHDI_FLUSH_READ: the contract of ``SpanDriver/flush(channel:)``
    /// keeps frames already queued for transmission.
    public func flush(channel: Int) {
        let f = fd(channel)
        guard f >= 0 else { return }
        var what = DAHDIConst.flushRead
        try? ioctl(f, .flush, &what, channel, mayBeClosed: true)
    }
}

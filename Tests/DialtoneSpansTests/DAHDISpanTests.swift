// SPDX-License-Identifier: GPL-2.0-or-later
// The DAHDI driver's ioctl sequence against a recording kernel boundary (the
// only place a fake stands in: no library covers the DAHDI kernel interface;
// the real driver runs in the VM suite of issue 3).
import CDAHDI
import DialtoneSpans
import Glibc
import Synchronization
import Testing

/// Records every syscall; answers like the kernel for a configured PRI span.
final class RecordingKernel: DAHDISystemCalls, @unchecked Sendable {
    struct Call: Equatable, CustomStringConvertible {
        var op: String
        var channel: Int32   // DAHDI channel the fd was SPECIFYed to (0 before)
        var value: [Int32]
        var description: String { "\(op)(ch \(channel), \(value))" }
    }
    let state = Mutex<(calls: [Call], next: Int32, fdChannel: [Int32: Int32], errno: Int32)>(([], 100, [:], 0))
    let dchannel: Int32
    var dchannelSigtype: Int32 = CDAHDI_SIG_HDLCFCS
    var failSpecify: Int32? = nil        // channel whose SPECIFY fails with ENXIO
    var maintErrno: Int32? = nil
    let eintrOnce = Mutex(true)
    var alarms: Int32 = 0
    var readErrno: Int32? = nil
    var pendingEvent: Int32 = 0

    init(dchannel: Int32) { self.dchannel = dchannel }

    var calls: [Call] { state.withLock { $0.calls } }

    func record(_ op: String, _ fd: Int32, _ value: [Int32]) {
        state.withLock { $0.calls.append(Call(op: op, channel: $0.fdChannel[fd] ?? 0, value: value)) }
    }

    func fail(_ e: Int32) -> Int32 {
        state.withLock { $0.errno = e }
        return -1
    }

    func open(_ path: String, _ flags: Int32) -> Int32 {
        let fd = state.withLock { s -> Int32 in
            s.next += 1
            return s.next
        }
        record("open \(path)", fd, [flags & O_NONBLOCK != 0 ? 1 : 0])
        return fd
    }

    func close(_ fd: Int32) -> Int32 {
        record("close", fd, [])
        return 0
    }

    func ioctl(_ fd: Int32, _ request: UInt, _ arg: UnsafeMutableRawPointer?) -> Int32 {
        guard let op = DAHDIIoctl(request: request), let arg else { return fail(ENOTTY) }
        // The first SPECIFY is interrupted once: the driver must retry.
        if op == .specify && eintrOnce.withLock({ let first = $0; $0 = false; return first }) { return fail(EINTR) }
        switch op {
        case .specify:
            let ch = arg.load(as: Int32.self)
            record("\(op)", fd, [ch])
            if ch == failSpecify { return fail(ENXIO) }
            state.withLock { $0.fdChannel[fd] = ch }
        case .getParams:
            let ch = state.withLock { $0.fdChannel[fd] ?? 0 }
            let p = arg.assumingMemoryBound(to: dahdi_params.self)
            p.pointee.channo = ch
            p.pointee.sigtype = ch == dchannel ? dchannelSigtype : CDAHDI_SIG_CLEAR
            record("\(op)", fd, [])
        case .setBufinfo:
            let b = arg.load(as: dahdi_bufferinfo.self)
            record("\(op)", fd, [b.txbufpolicy, b.rxbufpolicy, b.numbufs, b.bufsize])
        case .spanstat:
            let p = arg.assumingMemoryBound(to: dahdi_spaninfo.self)
            record("\(op)", fd, [p.pointee.spanno])
            p.pointee.alarms = alarms
        case .maint:
            let m = arg.load(as: dahdi_maintinfo.self)
            record("\(op)", fd, [m.spanno, m.command])
            if let maintErrno { return fail(maintErrno) }
        case .getEvent:
            arg.storeBytes(of: pendingEvent, as: Int32.self)
            record("\(op)", fd, [pendingEvent])
        default:
            record("\(op)", fd, [arg.load(as: Int32.self)])
        }
        return 0
    }

    func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        if let readErrno { return Int(fail(readErrno)) }
        return Int(fail(EAGAIN))
    }

    func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { count }
    func lastErrno() -> Int32 { state.withLock { $0.errno } }
}

@Suite struct DAHDISpanTests {
    typealias Call = RecordingKernel.Call

    func expectedSequence(base: Int32, type: SpanType, law: Int32) -> [Call] {
        let d = base + Int32(type.dchannelTimeslot) - 1
        var seq: [Call] = [
            Call(op: "open /dev/dahdi/channel", channel: 0, value: [1]),
            Call(op: "DAHDI_SPECIFY", channel: 0, value: [d]),
            Call(op: "DAHDI_GET_PARAMS", channel: d, value: []),
            Call(op: "DAHDI_SET_BUFINFO", channel: d, value: [0, 0, 32, 1024]),
        ]
        for ts in type.bearerChannels {
            let ch = base + Int32(ts) - 1
            seq += [
                Call(op: "open /dev/dahdi/channel", channel: 0, value: [1]),
                Call(op: "DAHDI_SPECIFY", channel: 0, value: [ch]),
                Call(op: "DAHDI_GET_PARAMS", channel: ch, value: []),
                Call(op: "DAHDI_SET_BLOCKSIZE", channel: ch, value: [160]),
                Call(op: "DAHDI_SETLAW", channel: ch, value: [law]),
                Call(op: "DAHDI_SET_BUFINFO", channel: ch, value: [0, 0, 32, 160]),
            ]
        }
        seq.append(Call(op: "DAHDI_SPANSTAT", channel: d, value: [type == .e1 ? 2 : 1]))
        return seq
    }

    @Test func e1StartSequence() throws {
        let kernel = RecordingKernel(dchannel: 32 + 16 - 1)
        let span = DAHDISpan(name: "pstn", type: .e1, law: .alaw, spanNumber: 2, baseChannel: 32,
                             bearerChannels: SpanType.e1.bearerChannels, dchannel: 16, system: kernel)
        try span.start()
        // The first SPECIFY was interrupted (EINTR) and retried: start still succeeded.
        #expect(kernel.eintrOnce.withLock { $0 } == false)
        let calls = kernel.calls
        let expected = expectedSequence(base: 32, type: .e1, law: DAHDI_LAW_ALAW)
        #expect(calls.count == expected.count)
        #expect(calls == expected, "first difference at \(zip(calls, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        #expect(span.alarms == .none)
        span.stop()
        #expect(kernel.calls.filter { $0.op == "close" }.count == 31)
    }

    @Test func t1StartSequence() throws {
        let kernel = RecordingKernel(dchannel: 24)
        _ = kernel.eintrOnce.withLock { $0 = false }
        kernel.alarms = DAHDI_ALARM_YELLOW
        let span = DAHDISpan(name: "carrier", type: .t1, law: .mulaw, spanNumber: 1, baseChannel: 1,
                             bearerChannels: SpanType.t1.bearerChannels, dchannel: 24, system: kernel)
        try span.start()
        #expect(kernel.calls == expectedSequence(base: 1, type: .t1, law: DAHDI_LAW_MULAW))
        #expect(span.alarms == .yellow)
    }

    @Test func clearDChannelIsPutInHDLCMode() throws {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.dchannelSigtype = CDAHDI_SIG_CLEAR
        let span = DAHDISpan(name: "s", type: .t1, law: .mulaw, spanNumber: 1, baseChannel: 1,
                             bearerChannels: [1], dchannel: 24, system: kernel)
        try span.start()
        #expect(kernel.calls.contains(Call(op: "DAHDI_HDLCFCSMODE", channel: 24, value: [1])))
    }

    @Test func specifyFailureNamesSpanAndChannelAndClosesWhatWasOpened() {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.failSpecify = 5
        let span = DAHDISpan(name: "carrier", type: .t1, law: .mulaw, spanNumber: 1, baseChannel: 1,
                             bearerChannels: SpanType.t1.bearerChannels, dchannel: 24, system: kernel)
        do {
            try span.start()
            Issue.record("start should fail")
        } catch {
            #expect(error.code == .ioctlFailed && error.span == "carrier" && error.channel == 5 && error.errno == ENXIO)
            #expect(error.description.contains("DAHDI_SPECIFY"))
        }
        let opened = kernel.calls.filter { $0.op.hasPrefix("open") }.count
        #expect(kernel.calls.filter { $0.op == "close" }.count == opened)
    }

    @Test func nonHDLCDChannelIsRejected() {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.dchannelSigtype = 0x40  // an analog signalling type
        let span = DAHDISpan(name: "carrier", type: .t1, law: .mulaw, spanNumber: 1, baseChannel: 1,
                             bearerChannels: [1], dchannel: 24, system: kernel)
        #expect { try span.start() } throws: { e in
            (e as? SpanError)?.code == .notSupported && "\(e)".contains("not HDLC")
        }
    }

    @Test func eventOnReadBecomesAlarmChange() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let span = DAHDISpan(name: "carrier", type: .t1, law: .mulaw, spanNumber: 1, baseChannel: 1,
                             bearerChannels: [1], dchannel: 24, system: kernel)
        let seen = Mutex<[SpanEvent]>([])
        span.setEventHandler { e in seen.withLock { $0.append(e) } }
        try span.start()
        kernel.readErrno = CDAHDI_ELAST
        kernel.pendingEvent = DAHDI_EVENT_ALARM
        kernel.alarms = DAHDI_ALARM_RED
        var buf = [UInt8](repeating: 0, count: 64)
        #expect(buf.withUnsafeMutableBytes { span.dchannel.readFrame(into: $0) } == -1)
        #expect(span.alarms == .red)
        kernel.pendingEvent = DAHDI_EVENT_NOALARM
        kernel.alarms = 0
        #expect(buf.withUnsafeMutableBytes { span.readFrame(channel: 1, into: $0) } == 0)
        #expect(span.alarms == .none)
        #expect(seen.withLock { $0 } == [.started, .alarmsChanged(.red), .alarmsChanged(.none)])
    }

    @Test func maintenanceLoops() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let span = DAHDISpan(name: "carrier", type: .t1, law: .mulaw, spanNumber: 3, baseChannel: 49,
                             bearerChannels: [1], dchannel: 24, system: kernel)
        #expect(throws: SpanError.self) { try span.setMaintenance(.localLoop) }  // not started
        try span.start()
        try span.setMaintenance(.localLoop)
        try span.setMaintenance(.none)
        #expect(kernel.calls.filter { $0.op == "DAHDI_MAINT" }.map(\.value)
                == [[3, DAHDI_MAINT_LOCALLOOP], [3, DAHDI_MAINT_NONE]])
        kernel.maintErrno = EINVAL
        #expect { try span.setMaintenance(.networkLoop) } throws: { ($0 as? SpanError)?.code == .notSupported }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
// The DAHDI driver's ioctl sequence against a recording kernel boundary
// (RecordingKernel.swift); the real driver runs in the VM suite.
import CDAHDI
@testable import DialtoneSpans
import Glibc
import Synchronization
import Testing

@Suite struct DAHDISpanTests {
    typealias Call = RecordingKernel.Call

    /// What start() must issue, written out from the table in docs/span-drivers.md.
    func expectedSequence(base: Int32, type: SpanType, spanNumber: Int32, law: Int32) -> [Call] {
        let d = base + Int32(type.dchannelTimeslot) - 1
        var seq: [Call] = [
            Call(op: "open /dev/dahdi/channel", channel: 0, value: [1]),  // O_NONBLOCK
            Call(op: "DAHDI_SPECIFY", channel: 0, value: [d]),
            Call(op: "DAHDI_GET_PARAMS", channel: d, value: []),
            Call(op: "DAHDI_SET_BUFINFO", channel: d, value: [DAHDI_POLICY_IMMEDIATE, DAHDI_POLICY_IMMEDIATE, 32, 1024]),
        ]
        for ts in type.bearerChannels {
            let ch = base + Int32(ts) - 1
            seq += [
                Call(op: "open /dev/dahdi/channel", channel: 0, value: [1]),
                Call(op: "DAHDI_SPECIFY", channel: 0, value: [ch]),
                Call(op: "DAHDI_GET_PARAMS", channel: ch, value: []),
                Call(op: "DAHDI_SET_BLOCKSIZE", channel: ch, value: [160]),
                Call(op: "DAHDI_SETLAW", channel: ch, value: [law]),
                Call(op: "DAHDI_SET_BUFINFO", channel: ch, value: [DAHDI_POLICY_IMMEDIATE, DAHDI_POLICY_IMMEDIATE, 32, 160]),
                Call(op: "DAHDI_AUDIOMODE", channel: ch, value: [1]),
            ]
        }
        seq.append(Call(op: "DAHDI_SPANSTAT", channel: d, value: [spanNumber]))
        return seq
    }

    func firstDifference(_ a: [Call], _ b: [Call]) -> String {
        guard let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else {
            return "lengths \(a.count) vs \(b.count)"
        }
        return "at \(i): \(a[i]) vs expected \(b[i])"
    }

    func t1Span(_ kernel: RecordingKernel, bearers: [Int] = [1], spanNumber: Int = 1, base: Int = 1) -> DAHDISpan {
        DAHDISpan(name: "carrier", type: .t1, law: .mulaw, spanNumber: spanNumber, baseChannel: base,
                  bearerChannels: bearers, dchannel: 24, system: kernel)
    }

    @Test func e1StartSequence() throws {
        // Span 2 of a card, channels 32–62: D-channel is DAHDI channel 47.
        let kernel = RecordingKernel(dchannel: 32 + 16 - 1)
        let span = DAHDISpan(name: "pstn", type: .e1, law: .alaw, spanNumber: 2, baseChannel: 32,
                             bearerChannels: SpanType.e1.bearerChannels, dchannel: 16, system: kernel)
        try span.start()
        let expected = expectedSequence(base: 32, type: .e1, spanNumber: 2, law: DAHDI_LAW_ALAW)
        #expect(expected.count == 4 + 30 * 7 + 1)
        #expect(kernel.calls == expected, "\(firstDifference(kernel.calls, expected))")
        #expect(span.alarms == .none)
        #expect(span.dchannel.pollDescriptor == 101)  // the first descriptor opened: the D-channel
        span.stop()
        #expect(kernel.calls.filter { $0.op == "close" }.count == 31)
        #expect(span.dchannel.pollDescriptor == -1)
    }

    @Test func t1StartSequence() throws {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.alarms = DAHDI_ALARM_YELLOW
        let span = t1Span(kernel, bearers: SpanType.t1.bearerChannels)
        try span.start()
        let expected = expectedSequence(base: 1, type: .t1, spanNumber: 1, law: DAHDI_LAW_MULAW)
        #expect(expected.count == 4 + 23 * 7 + 1)
        #expect(kernel.calls == expected, "\(firstDifference(kernel.calls, expected))")
        #expect(span.alarms == .yellow)
    }

    @Test func eintrIsRetriedWithTheSameArgument() throws {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.interrupt("DAHDI_SPECIFY", times: 2)
        kernel.interrupt("DAHDI_SETLAW", times: 1)
        let span = t1Span(kernel)
        try span.start()
        let specify = kernel.calls.filter { $0.op.hasPrefix("DAHDI_SPECIFY") }
        #expect(specify == [Call(op: "DAHDI_SPECIFY EINTR", channel: 0, value: [24]),
                            Call(op: "DAHDI_SPECIFY EINTR", channel: 0, value: [24]),
                            Call(op: "DAHDI_SPECIFY", channel: 0, value: [24]),
                            Call(op: "DAHDI_SPECIFY", channel: 0, value: [1])])
        #expect(kernel.calls.filter { $0.op.hasPrefix("DAHDI_SETLAW") }
                == [Call(op: "DAHDI_SETLAW EINTR", channel: 1, value: [DAHDI_LAW_MULAW]),
                    Call(op: "DAHDI_SETLAW", channel: 1, value: [DAHDI_LAW_MULAW])])
        // Reads are retried too: the frame behind the EINTR arrives.
        kernel.queueRead(channel: 1, [UInt8](repeating: 0x55, count: 160))
        kernel.interrupt("read", times: 1)
        var buf = [UInt8](repeating: 0, count: 160)
        #expect(buf.withUnsafeMutableBytes { span.readFrame(channel: 1, into: $0) } == 160)
        #expect(buf == [UInt8](repeating: 0x55, count: 160))
    }

    @Test func clearDChannelIsPutInHDLCMode() throws {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.dchannelSigtype = CDAHDI_SIG_CLEAR
        let span = t1Span(kernel)
        try span.start()
        let d = kernel.calls.filter { $0.channel == 24 }.map(\.op)
        #expect(d == ["DAHDI_GET_PARAMS", "DAHDI_HDLCFCSMODE", "DAHDI_SET_BUFINFO", "DAHDI_SPANSTAT"])
        #expect(kernel.calls.contains(Call(op: "DAHDI_HDLCFCSMODE", channel: 24, value: [1])))
        withExtendedLifetime(span) {}  // released, it would close its channels (next test)
    }

    @Test func releasedSpanClosesItsChannels() throws {
        let kernel = RecordingKernel(dchannel: 24)
        do {
            let span = t1Span(kernel, bearers: [1, 2, 3])
            try span.start()
            kernel.clearCalls()
        }
        #expect(kernel.calls.map(\.op) == ["close", "close", "close", "close"])
    }

    @Test func hardHDLCDChannelIsTakenAsIs() throws {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.dchannelSigtype = CDAHDI_SIG_HARDHDLC
        try t1Span(kernel).start()
        #expect(!kernel.calls.contains { $0.op == "DAHDI_HDLCFCSMODE" })
    }

    @Test func specifyFailureNamesSpanAndChannelAndClosesWhatWasOpened() {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.failSpecify = 5
        let span = t1Span(kernel, bearers: SpanType.t1.bearerChannels)
        do {
            try span.start()
            Issue.record("start should fail")
        } catch {
            #expect(error.code == .ioctlFailed && error.span == "carrier" && error.channel == 5 && error.errno == ENXIO)
            #expect(error.description == "span carrier channel 5: DAHDI_SPECIFY failed (ioctlFailed): No such device or address (errno \(ENXIO))")
        }
        // D-channel and B 1–5 were opened (5's SPECIFY failed): all six closed.
        #expect(kernel.calls.filter { $0.op.hasPrefix("open") }.count == 6)
        #expect(kernel.calls.filter { $0.op == "close" }.count == 6)
        #expect(span.dchannel.pollDescriptor == -1)
    }

    @Test func nonHDLCDChannelIsRejected() {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.dchannelSigtype = 0x40  // an analog signalling type (FXO loop start)
        let span = t1Span(kernel)
        do {
            try span.start()
            Issue.record("start should fail")
        } catch {
            #expect(error.code == .invalidChannel && error.channel == 24)
            #expect(error.description.contains("D-channel signalling type 0x40 is not HDLC"))
            #expect(error.description.contains("dchan"))
        }
        #expect(!kernel.calls.contains { $0.op == "DAHDI_SET_BUFINFO" })
        #expect(kernel.calls.filter { $0.op == "close" }.count == 1)
    }

    @Test func nonClearBearerIsRejected() {
        let kernel = RecordingKernel(dchannel: 24)
        kernel.bearerSigtype = CDAHDI_SIG_HDLCFCS
        do {
            try t1Span(kernel, bearers: [1, 2]).start()
            Issue.record("start should fail")
        } catch {
            #expect(error.code == .invalidChannel && error.channel == 1)
            #expect(error.description.contains("not clear") && error.description.contains("bchan"))
        }
    }

    @Test func alarmWordIsMappedBitByBit() {
        #expect(SpanAlarms(dahdi: 0) == .none)
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_RED) == .red)
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_RECOVER) == .recovering)
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_LOOPBACK) == .loopback)
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_BLUE | DAHDI_ALARM_YELLOW) == [.blue, .yellow])
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_NOTOPEN) == .notOpen)
        // Loss of signal / frame alignment come with RED and are not separate alarms here.
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_RED | DAHDI_ALARM_LOS | DAHDI_ALARM_LFA) == .red)
        #expect(SpanAlarms(dahdi: DAHDI_ALARM_LMFA) == .none)
    }

    @Test func elastOnReadFetchesTheEventAndReportsAlarms() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let span = t1Span(kernel)
        let seen = Mutex<[SpanEvent]>([])
        span.setEventHandler { e in seen.withLock { $0.append(e) } }
        try span.start()
        kernel.clearCalls()
        // Red alarm, seen on the D-channel.
        kernel.failNextRead(channel: 24, errno: CDAHDI_ELAST)
        kernel.pendingEvent = DAHDI_EVENT_ALARM
        kernel.alarms = DAHDI_ALARM_RED
        var buf = [UInt8](repeating: 0, count: 64)
        #expect(buf.withUnsafeMutableBytes { span.dchannel.readFrame(into: $0) } == -1)
        #expect(kernel.calls == [Call(op: "DAHDI_GETEVENT", channel: 24, value: [DAHDI_EVENT_ALARM]),
                                 Call(op: "DAHDI_SPANSTAT", channel: 24, value: [1])])
        #expect(span.alarms == .red)
        // Cleared, seen on a B-channel.
        kernel.failNextRead(channel: 1, errno: CDAHDI_ELAST)
        kernel.pendingEvent = DAHDI_EVENT_NOALARM
        kernel.alarms = 0
        #expect(buf.withUnsafeMutableBytes { span.readFrame(channel: 1, into: $0) } == 0)
        #expect(span.alarms == .none)
        // HDLC abort and bad FCS become line events.
        for event in [DAHDI_EVENT_ABORT, DAHDI_EVENT_BADFCS] {
            kernel.failNextRead(channel: 24, errno: CDAHDI_ELAST)
            kernel.pendingEvent = event
            #expect(buf.withUnsafeMutableBytes { span.dchannel.readFrame(into: $0) } == -1)
        }
        #expect(seen.withLock { $0 } == [.started, .alarmsChanged(.red), .alarmsChanged(.none), .dchannelAbort, .dchannelBadFCS])
    }

    @Test func dchannelCarriesWholeFramesWithTheirFCS() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let span = t1Span(kernel)
        try span.start()
        var buf = [UInt8](repeating: 0, count: 512)
        #expect(buf.withUnsafeMutableBytes { span.dchannel.readFrame(into: $0) } == 0)  // EAGAIN
        let frame: [UInt8] = [0x02, 0x01, 0x01, 0x01, 0xAA, 0xBB]  // RR + 2 FCS bytes
        kernel.queueRead(channel: 24, frame)
        #expect(buf.withUnsafeMutableBytes { span.dchannel.readFrame(into: $0) } == 6)
        #expect(Array(buf[0..<6]) == frame)
        kernel.clearCalls()
        #expect(frame.withUnsafeBytes { span.dchannel.writeFrame($0) } == 6)
        #expect(kernel.calls == [Call(op: "write", channel: 24, value: frame.map(Int32.init))])
    }

    @Test func bearerIOAndFlush() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let span = t1Span(kernel, bearers: [1, 2])
        try span.start()
        kernel.clearCalls()
        var buf = [UInt8](repeating: 0, count: 160)
        #expect(buf.withUnsafeMutableBytes { span.readFrame(channel: 2, into: $0) } == 0)   // EAGAIN
        #expect(buf.withUnsafeMutableBytes { span.readFrame(channel: 24, into: $0) } == 0)  // the D-channel is no B-channel
        #expect(buf.withUnsafeMutableBytes { span.readFrame(channel: 7, into: $0) } == 0)   // not opened
        let out = [UInt8](repeating: 0xD5, count: 160)
        #expect(out.withUnsafeBytes { span.writeFrame(channel: 2, from: $0) } == 160)
        span.flush(channel: 2)
        #expect(kernel.calls.map(\.op) == ["write", "DAHDI_FLUSH"])
        #expect(kernel.calls.last == Call(op: "DAHDI_FLUSH", channel: 2, value: [DAHDI_FLUSH_READ]))
    }

    @Test func maintenanceLoops() throws {
        let kernel = RecordingKernel(dchannel: 49 + 23)
        let span = t1Span(kernel, spanNumber: 3, base: 49)
        #expect { try span.setMaintenance(.localLoop) } throws: { ($0 as? SpanError)?.code == .notStarted }
        try span.start()
        try span.setMaintenance(.localLoop)
        try span.setMaintenance(.networkLoop)
        try span.setMaintenance(.none)
        #expect(kernel.calls.filter { $0.op == "DAHDI_MAINT" }.map(\.value)
                == [[3, DAHDI_MAINT_LOCALLOOP], [3, DAHDI_MAINT_NETWORKLINELOOP], [3, DAHDI_MAINT_NONE]])
        for e in [EINVAL, ENOSYS, EOPNOTSUPP] {
            kernel.maintErrno = e
            #expect { try span.setMaintenance(.networkLoop) } throws: {
                let s = $0 as? SpanError
                return s?.code == .notSupported && s?.errno == e && s?.span == "carrier"
            }
        }
        kernel.maintErrno = EIO  // a real failure stays one
        #expect { try span.setMaintenance(.localLoop) } throws: { ($0 as? SpanError)?.code == .ioctlFailed }
    }

    @Test func secondStartIsRefused() throws {
        let kernel = RecordingKernel(dchannel: 24)
        let span = t1Span(kernel)
        try span.start()
        #expect { try span.start() } throws: { ($0 as? SpanError)?.code == .alreadyStarted }
        span.stop()
        try span.start()  // and a stopped span starts again
    }
}

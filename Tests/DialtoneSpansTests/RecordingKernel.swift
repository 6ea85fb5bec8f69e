// SPDX-License-Identifier: GPL-2.0-or-later
// The DAHDI kernel boundary, recorded: the only place a fake stands in (no
// library covers the DAHDI kernel interface; the real driver runs in the VM
// suite). It answers like the kernel for a span configured by dahdi_cfg.
import CDAHDI
import DialtoneSpans
import Glibc
import Synchronization

final class RecordingKernel: DAHDISystemCalls, @unchecked Sendable {
    struct Call: Equatable, CustomStringConvertible {
        var op: String
        var channel: Int32   // DAHDI channel the fd was SPECIFYed to (0 before)
        var value: [Int32]
        var description: String { "\(op)(ch \(channel), \(value))" }
    }
    struct State {
        var calls: [Call] = []
        var next: Int32 = 100
        var fdChannel: [Int32: Int32] = [:]
        var timerFDs: Set<Int32> = []
        var interrupts: [String: Int] = [:]   // op → EINTRs still to return
        var readQueue: [Int32: [[UInt8]]] = [:]  // channel → frames to read
        var readErrno: [Int32: Int32] = [:]      // channel → errno for the next read
        var timerPending = 0
        var timerPollErrno: Int32? = nil
    }
    let state = Mutex(State())
    let dchannel: Int32
    var dchannelSigtype: Int32 = CDAHDI_SIG_HDLCFCS
    var bearerSigtype: Int32 = CDAHDI_SIG_CLEAR
    var failSpecify: Int32? = nil        // channel whose SPECIFY fails with ENXIO
    var maintErrno: Int32? = nil
    var alarms: Int32 = 0
    var pendingEvent: Int32 = 0
    private let errnoValue = Mutex<Int32>(0)

    init(dchannel: Int32) { self.dchannel = dchannel }

    var calls: [Call] { state.withLock { $0.calls } }
    func clearCalls() { state.withLock { $0.calls = [] } }

    /// The next `count` calls of `op` (e.g. "DAHDI_SETLAW", "read") fail with EINTR.
    func interrupt(_ op: String, times count: Int) { state.withLock { $0.interrupts[op] = count } }
    func queueRead(channel: Int32, _ frame: [UInt8]) { state.withLock { $0.readQueue[channel, default: []].append(frame) } }
    func failNextRead(channel: Int32, errno e: Int32) { state.withLock { $0.readErrno[channel] = e } }
    func fireTimer(_ n: Int = 1) { state.withLock { $0.timerPending += n } }

    private func record(_ op: String, _ fd: Int32, _ value: [Int32]) {
        state.withLock { $0.calls.append(Call(op: op, channel: $0.fdChannel[fd] ?? 0, value: value)) }
    }

    private func fail(_ e: Int32) -> Int32 {
        errnoValue.withLock { $0 = e }
        return -1
    }

    /// Returns true (and records the attempt) when this call of `op` is to be interrupted.
    private func interrupted(_ op: String, _ fd: Int32, _ value: [Int32]) -> Bool {
        let hit = state.withLock { s -> Bool in
            guard let n = s.interrupts[op], n > 0 else { return false }
            s.interrupts[op] = n - 1
            return true
        }
        if hit { record("\(op) EINTR", fd, value) }
        return hit
    }

    func open(_ path: String, _ flags: Int32) -> Int32 {
        let fd = state.withLock { s -> Int32 in
            s.next += 1
            if path.hasSuffix("timer") { s.timerFDs.insert(s.next) }
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
        let name = "\(op)"
        switch op {
        case .specify:
            let ch = arg.load(as: Int32.self)
            if interrupted(name, fd, [ch]) { return fail(EINTR) }
            record(name, fd, [ch])
            if ch == failSpecify { return fail(ENXIO) }
            state.withLock { $0.fdChannel[fd] = ch }
        case .getParams:
            if interrupted(name, fd, []) { return fail(EINTR) }
            let ch = state.withLock { $0.fdChannel[fd] ?? 0 }
            let p = arg.assumingMemoryBound(to: dahdi_params.self)
            p.pointee.channo = ch
            p.pointee.sigtype = ch == dchannel ? dchannelSigtype : bearerSigtype
            record(name, fd, [])
        case .setBufinfo:
            let b = arg.load(as: dahdi_bufferinfo.self)
            if interrupted(name, fd, []) { return fail(EINTR) }
            record(name, fd, [b.txbufpolicy, b.rxbufpolicy, b.numbufs, b.bufsize])
        case .spanstat:
            let p = arg.assumingMemoryBound(to: dahdi_spaninfo.self)
            record(name, fd, [p.pointee.spanno])
            p.pointee.alarms = alarms
        case .maint:
            let m = arg.load(as: dahdi_maintinfo.self)
            record(name, fd, [m.spanno, m.command])
            if let maintErrno { return fail(maintErrno) }
        case .getEvent:
            arg.storeBytes(of: pendingEvent, as: Int32.self)
            record(name, fd, [pendingEvent])
        case .timerAck:
            let n = arg.load(as: Int32.self)
            record(name, fd, [n])
            state.withLock { $0.timerPending = n < 1 ? 0 : max(0, $0.timerPending - Int(n)) }
        default:
            let v = arg.load(as: Int32.self)
            if interrupted(name, fd, [v]) { return fail(EINTR) }
            record(name, fd, [v])
        }
        return 0
    }

    func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        let ch = state.withLock { $0.fdChannel[fd] ?? 0 }
        if interrupted("read", fd, []) { return Int(fail(EINTR)) }
        let result = state.withLock { s -> (frame: [UInt8]?, errno: Int32?) in
            if let e = s.readErrno.removeValue(forKey: ch) { return (nil, e) }
            guard var q = s.readQueue[ch], !q.isEmpty else { return (nil, EAGAIN) }
            let f = q.removeFirst()
            s.readQueue[ch] = q
            return (f, nil)
        }
        guard let frame = result.frame else { return Int(fail(result.errno!)) }
        let n = min(count, frame.count)
        frame.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: n) }
        return n
    }

    func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        let bytes = Array(UnsafeRawBufferPointer(start: buffer, count: count))
        record("write", fd, bytes.map(Int32.init))
        return count
    }

    /// The timer polls POLLPRI while expiries are pending; anything else idles
    /// until the timeout (in 1 ms steps, so a fired tick is seen promptly).
    func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeoutMs: Int32) -> Int32 {
        if interrupted("poll", fds[0].fd, []) { return fail(EINTR) }
        var waited: Int32 = 0
        while true {
            var ready: Int32 = 0
            let (pending, failure) = state.withLock { ($0.timerPending, $0.timerPollErrno) }
            if let failure { return fail(failure) }
            for i in 0..<count {
                let isTimer = state.withLock { $0.timerFDs.contains(fds[i].fd) }
                fds[i].revents = isTimer && pending > 0 ? Int16(POLLPRI) : 0
                if fds[i].revents != 0 { ready += 1 }
            }
            if ready > 0 || waited >= timeoutMs { return ready }
            usleep(1000)
            waited += 1
        }
    }

    func lastErrno() -> Int32 { errnoValue.withLock { $0 } }
}

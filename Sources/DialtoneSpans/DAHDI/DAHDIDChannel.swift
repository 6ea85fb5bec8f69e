// SPDX-License-Identifier: GPL-2.0-or-later
import Synchronization

/// The D-channel of a DAHDI span: one whole HDLC frame per read or write,
/// each followed by its 2 FCS bytes (DAHDI keeps them on receive and expects
/// them on transmit, as libpri does). Used only by the D-channel's owner thread.
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
        guard let span, let base = buffer.baseAddress else { return -1 }
        let fd = self.fd
        guard fd >= 0 else { return -1 }
        do {
            return try span.sys.syscall("read", mayBeClosed: true) { span.sys.read(fd, base, buffer.count) }
        } catch {
            if error.wouldBlock { return 0 }
            if error.eventPending { span.pendingEvent(fd: fd) }
            return -1
        }
    }

    func writeFrame(_ frame: UnsafeRawBufferPointer) -> Int {
        guard let span, let base = frame.baseAddress else { return 0 }
        let fd = self.fd
        guard fd >= 0 else { return 0 }
        do {
            return try span.sys.syscall("write", mayBeClosed: true) { span.sys.write(fd, base, frame.count) }
        } catch {
            // ELAST on write: an event (alarm, abort) waits; the frame was not sent.
            if error.eventPending { span.pendingEvent(fd: fd) }
            return 0
        }
    }
}

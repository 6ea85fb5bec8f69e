// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// The D-channel of a virtual span: one end of a SEQPACKET socket pair, so
/// frame boundaries are kept as an HDLC channel keeps them. While the link
/// is cut, writes are swallowed (the frame is lost on the line) and reads
/// discard whatever was in flight.
final class VirtualDChannel: DChannelPort, @unchecked Sendable {
    let fd: Int32
    weak var span: VirtualSpan?

    init(fd: Int32) {
        self.fd = fd
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    deinit { close(fd) }

    var pollDescriptor: Int32 { fd }

    private var lineUp: Bool {
        guard let span, let link = span.link else { return false }
        return link.isConnected && span.isRunning
    }

    func readFrame(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                return 0
            }
            if !lineUp { continue }  // lost in the cut; keep draining
            return n
        }
    }

    func writeFrame(_ frame: UnsafeRawBufferPointer) -> Int {
        guard lineUp else { return frame.count }
        while true {
            let n = send(fd, frame.baseAddress, frame.count, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            // A full socket buffer is a lost frame, as on a congested HDLC link.
            return frame.count
        }
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI
import Glibc

/// The system calls the DAHDI driver makes, swappable so the ioctl sequence
/// can be tested without the kernel module (as swift-system mocks syscalls).
/// Each returns the raw result and leaves the error in ``lastErrno()`` like
/// libc; the policy (EINTR, traps, typed errors) is applied once, by
/// ``syscall(_:mayBeClosed:_:)``, whichever implementation is plugged in.
public protocol DAHDISystemCalls: Sendable {
    func open(_ path: String, _ flags: Int32) -> Int32
    func close(_ fd: Int32) -> Int32
    func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) -> Int32
    func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int
    func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int
    func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeoutMs: Int32) -> Int32
    /// errno of the last failed call on this thread.
    func lastErrno() -> Int32
}

/// The real kernel.
public struct LiveSystemCalls: DAHDISystemCalls {
    public init() {}
    public func open(_ path: String, _ flags: Int32) -> Int32 { Glibc.open(path, flags | O_CLOEXEC) }
    public func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    public func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) -> Int32 {
        CDAHDI_ioctl(fd, request, argument)
    }
    public func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(fd, buffer, count) }
    public func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, buffer, count) }
    public func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, _ timeoutMs: Int32) -> Int32 {
        Glibc.poll(fds, nfds_t(count), timeoutMs)
    }
    public func lastErrno() -> Int32 { errno }
}

/// A failed system call: which one and its errno (swift-system's `Errno`,
/// with the codes the DAHDI driver tells apart named).
public struct SystemCallError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var call: StaticString
    public var errno: Int32

    public init(_ call: StaticString, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// EAGAIN: a non-blocking descriptor had nothing to read or no room to write.
    public var wouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
    /// ELAST: DAHDI has an event pending on the channel (read it with DAHDI_GETEVENT).
    public var eventPending: Bool { errno == CDAHDI_ELAST }
    /// The driver does not implement the request (maintenance loops on most cards).
    public var unsupported: Bool { errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == ENOTTY }
    /// EBADF, only ever thrown for calls made with `mayBeClosed`.
    public var closed: Bool { errno == EBADF }

    public var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }

    public static func == (l: Self, r: Self) -> Bool { "\(l.call)" == "\(r.call)" && l.errno == r.errno }
    public func hash(into h: inout Hasher) {
        h.combine("\(call)")
        h.combine(errno)
    }
}

extension DAHDISystemCalls {
    /// Runs one system call the way swift-nio's `syscall(blocking:)` does
    /// (STYLE §4): retries on EINTR, traps on programmer errors (EBADF, EFAULT)
    /// and throws a typed error otherwise. Typed throws: nothing is allocated,
    /// so the B-channel frame path can use it.
    ///
    /// `mayBeClosed` is for I/O on a descriptor that ``DAHDISpan/stop()`` may
    /// close from another thread: there EBADF is an outcome, not a bug.
    @inline(__always)
    public func syscall<T: BinaryInteger>(_ call: StaticString, mayBeClosed: Bool = false,
                                          _ body: () -> T) throws(SystemCallError) -> T {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = lastErrno()
            if e == EINTR { continue }
            if e == EFAULT || (e == EBADF && !mayBeClosed) {
                preconditionFailure("DAHDI \(call): \(e == EBADF ? "bad descriptor" : "bad address") (a Dialtone bug)")
            }
            throw SystemCallError(call, errno: e)
        }
    }
}

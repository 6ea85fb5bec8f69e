// SPDX-License-Identifier: GPL-2.0-or-later
import CDAHDI
import Glibc

/// The system calls the DAHDI driver makes, swappable so the ioctl sequence
/// can be tested without the kernel module (as swift-system mocks syscalls).
/// Each returns the raw result and sets `errno` on failure like libc.
public protocol DAHDISystemCalls: Sendable {
    func open(_ path: String, _ flags: Int32) -> Int32
    func close(_ fd: Int32) -> Int32
    func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) -> Int32
    func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int
    func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int
    func lastErrno() -> Int32
}

/// The real kernel.
public struct LiveSystemCalls: DAHDISystemCalls {
    public init() {}
    public func open(_ path: String, _ flags: Int32) -> Int32 { Glibc.open(path, flags) }
    public func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    public func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) -> Int32 {
        CDAHDI_ioctl(fd, request, argument)
    }
    public func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(fd, buffer, count) }
    public func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, buffer, count) }
    public func lastErrno() -> Int32 { errno }
}

extension DAHDISystemCalls {
    /// Runs a syscall: retries on EINTR, traps on programmer errors (EBADF,
    /// EFAULT), otherwise returns the errno to the caller (STYLE §4).
    @inline(__always)
    func retrying<T: BinaryInteger>(_ body: () -> T) -> (result: T, errno: Int32) {
        while true {
            let r = body()
            if r >= 0 { return (r, 0) }
            let e = lastErrno()
            if e == EINTR { continue }
            if e == EBADF || e == EFAULT { preconditionFailure("DAHDI syscall misuse: errno \(e)") }
            return (r, e)
        }
    }
}

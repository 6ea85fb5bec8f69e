// SPDX-License-Identifier: GPL-2.0-or-later
import Glibc

/// Every socket and file call outside the DAHDI driver's injectable boundary
/// (control socket, socket spans, journal…) goes through here: the one STYLE §4 policy of ``DAHDISystemCalls/syscall(_:mayBeClosed:_:)``
/// (retry on EINTR, trap on EBADF/EFAULT, throw ``SystemCallError`` otherwise).
@inline(__always)
public func systemCall<T: BinaryInteger>(_ call: StaticString, _ body: () -> T) throws(SystemCallError) -> T {
    try LiveSystemCalls().syscall(call, body)
}

// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import Glibc

/// Every socket and file call the daemon makes outside the span drivers goes
/// through here: the one STYLE §4 policy of ``DAHDISystemCalls/syscall(_:mayBeClosed:_:)``
/// (retry on EINTR, trap on EBADF/EFAULT, throw ``SystemCallError`` otherwise).
@inline(__always)
func systemCall<T: BinaryInteger>(_ call: StaticString, _ body: () -> T) throws(SystemCallError) -> T {
    try LiveSystemCalls().syscall(call, body)
}

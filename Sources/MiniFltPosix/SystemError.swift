// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which one, and its errno.
package struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    package var call: String
    package var errno: Int32

    package init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// `connect: Connection refused (errno 111)`.
    package var description: String {
        let message = strerror(errno).map { String(cString: $0) } ?? "unknown error"
        return "\(call): \(message) (errno \(errno))"
    }
}

/// Runs a system call through the fault-injection seam (``injectable(_:_:)``), retrying on EINTR; a negative
/// result becomes a ``SystemError``.
///
/// EBADF and EFAULT are bugs in this program, never a peer's doing: they trap.
@inline(__always)
package func syscall<T: FixedWidthInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T
{
    while true {
        let result = injectable(name(), body)
        if result >= 0 { return result }
        let error = Glibc.errno
        if error == EINTR { continue }
        precondition(error != EBADF && error != EFAULT, "\(name()) failed with \(error): a descriptor bug")
        throw SystemError(name(), errno: error)
    }
}

/// Closes a descriptor this program owns. EINTR is not retried: on Linux the descriptor is gone either way.
package func closeDescriptor(_ fd: Int32) {
    let result = close(fd)
    precondition(result == 0 || Glibc.errno != EBADF, "close(\(fd)): EBADF, a descriptor closed twice")
}

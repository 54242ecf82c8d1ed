// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// `fcntl` and `shutdown`, through the ``syscall(_:_:)`` seam like every other call: EINTR retried, failures
/// typed, faults injectable in tests.
package enum DescriptorCalls {
    /// Which side of a socket ``shutdown(_:_:)`` ends.
    package enum Direction {
        case read
        case readWrite

        var value: Int32 {
            switch self {
            case .read: Int32(SHUT_RD)
            case .readWrite: Int32(SHUT_RDWR)
            }
        }
    }

    /// `shutdown(2)`: ends one side (or both) of a connected socket.
    package static func shutdown(_ fd: Int32, _ direction: Direction) throws(SystemError) {
        _ = try syscall("shutdown") { Glibc.shutdown(fd, direction.value) }
    }

    /// `fcntl(F_DUPFD_CLOEXEC)`: a second descriptor for the same socket, closed on exec.
    package static func duplicate(_ fd: Int32) throws(SystemError) -> Int32 {
        try syscall("fcntl(F_DUPFD_CLOEXEC)") { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    }

    /// `fcntl(F_SETFL, O_NONBLOCK)` and `fcntl(F_SETFD, FD_CLOEXEC)`, as an inherited listening socket needs.
    package static func makeNonBlockingAndCloseOnExec(_ fd: Int32) throws(SystemError) {
        let flags = try syscall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        _ = try syscall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = try syscall("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }
}

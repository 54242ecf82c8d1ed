// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// A joinable OS thread running one closure.
///
/// The event loop needs real threads (not tasks): they block in epoll_wait and in routines.
package struct PosixThread: Sendable {
    private final class Box: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(_ name: String, _ body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    private let handle: pthread_t

    /// Starts a thread named `name` (at most 15 bytes show in `top -H`).
    package init(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            nil,
            { argument in
                guard let argument else { return nil }
                let box = Unmanaged<Box>.fromOpaque(argument).takeRetainedValue()
                CMiniFltPosix_set_thread_name(box.name)
                box.body()
                return nil
            },
            box
        )
        precondition(result == 0, "pthread_create failed: \(result)")
        handle = thread
    }

    /// Lets the thread free itself when it returns; it cannot be joined after.
    package func detach() { pthread_detach(handle) }

    /// Waits for the thread to return.
    package func join() { pthread_join(handle, nil) }

    /// Blocks the calling thread for `duration` (signals do not cut it short).
    package static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        while true {
            let request = remaining
            guard nanosleep([request], &remaining) != 0, errno == EINTR else { return }
        }
    }

    /// True when called on this thread.
    package var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }
}

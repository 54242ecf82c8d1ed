// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// Signals delivered as numbers on a pipe, read by a thread: async-signal-safe, and two descriptors for any
/// number of signals (a Dispatch signal source costs a signalfd each, and 40 of them once exhausted a
/// daemon's descriptor limit).
package enum SignalPipe {
    /// Catches `numbers` and calls `handler` with each one that arrives, on a thread of its own, in order.
    /// Call once per process.
    /// - Throws: ``SystemError`` when the pipe or a handler cannot be set up.
    package static func start(_ numbers: [Int32], handler: @escaping @Sendable (Int32) -> Void) throws(SystemError) {
        let fd = try syscall("signal pipe") {
            numbers.withUnsafeBufferPointer { CMiniFltPosix_signal_pipe($0.baseAddress, Int32($0.count)) }
        }
        PosixThread(name: "signals") {
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count == 1 { handler(Int32(byte)) } else if count < 0, errno == EINTR { continue } else { return }
            }
        }.detach()
    }
}

// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// A connected Unix datagram socket, for talking to systemd's journal and notification sockets.
///
/// Connecting (rather than `sendto` per datagram) makes the kernel apply the receiver's queue limit to this
/// socket: a receiver that stops reading makes sends wait, or fail with `EAGAIN` when they must not wait.
package struct DatagramSocket: Sendable {
    package let fd: Int32

    /// Connects to `address`: a file-system path, or `@name` for the abstract name `name` (the form systemd
    /// uses in `NOTIFY_SOCKET`). The socket blocks in `send` unless `nonBlocking`.
    /// - Throws: ``SystemError``: `ENOENT` (no socket file), `ECONNREFUSED` (a file nobody listens on).
    package init(connectingTo address: String, nonBlocking: Bool) throws(SystemError) {
        var bytes = Array(address.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        fd = try syscall("connect(\(address))") {
            bytes.withUnsafeBytes { raw in
                CMiniFltPosix_datagram_connect(
                    raw.baseAddress?.assumingMemoryBound(to: CChar.self),
                    Int32(raw.count),
                    nonBlocking ? 1 : 0
                )
            }
        }
    }

    /// Sends `datagram` whole. Without `dontWait` a receiver whose queue is full makes a blocking socket wait;
    /// with it, that is `EAGAIN`.
    package func send(_ datagram: [UInt8], dontWait: Bool) throws(SystemError) {
        _ = try syscall("send") {
            datagram.withUnsafeBytes { CMiniFltPosix_send(fd, $0.baseAddress, $0.count, dontWait ? 1 : 0) }
        }
    }

    package func close() { closeDescriptor(fd) }
}

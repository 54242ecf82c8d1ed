// SPDX-License-Identifier: MIT
import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// The listening socket systemd passed (socket activation), if it passed one.
public enum ActivatedSocket {
    /// Why the passed descriptors cannot serve a port.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The descriptor from `LISTEN_FDS`, checked to be a listening AF_UNIX stream socket; nil when systemd
    /// passed none (`LISTEN_FDS` unset, or for another process). The environment variables are removed so
    /// that children do not inherit them.
    /// - Throws: ``Error`` when systemd passed something else than exactly one such socket.
    public static func listeningDescriptor() throws(Error) -> Int32? {
        let descriptors = try listeningDescriptors(atMost: 1)
        return descriptors.first
    }

    /// Every descriptor from `LISTEN_FDS` (at most `limit`), each checked as ``listeningDescriptor()``
    /// checks its one; empty when systemd passed none.
    public static func listeningDescriptors(atMost limit: Int) throws(Error) -> [Int32] {
        let count = sd_listen_fds(1)
        if count < 0 {
            throw Error(description: "LISTEN_FDS is malformed: \(String(cString: strerror(-count)))")
        }
        if count == 0 { return [] }
        guard count <= limit else {
            throw Error(
                description: limit == 1
                    ? "systemd passed \(count) sockets; the unit's socket must have exactly one ListenStream="
                    : "systemd passed \(count) sockets; the unit's socket may have at most \(limit) ListenStream="
            )
        }
        let first = CSystemd_listen_fds_start()
        return try (first..<first + count).map { fd throws(Error) in
            guard sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0 else {
                throw Error(
                    description:
                        "the socket systemd passed (fd \(fd)) is not a listening AF_UNIX stream socket; use ListenStream=@<port address> in the socket unit"
                )
            }
            return fd
        }
    }
}

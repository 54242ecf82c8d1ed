// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// The abstract-namespace Unix stream sockets the port lives on.
package enum AbstractSocket {
    /// A non-blocking listening socket bound to `address` (exact length, no trailing NULs).
    /// - Throws: ``SystemError`` (`EADDRINUSE` when another process holds the name).
    package static func listen(at address: [UInt8], backlog: Int32 = 128) throws(SystemError) -> Int32 {
        let fd = try syscall("socket") {
            socket(
                AF_UNIX,
                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                0
            )
        }
        do {
            _ = try syscall("bind") {
                address.withUnsafeBufferPointer { CMiniFltPosix_bind_abstract(fd, $0.baseAddress, Int32($0.count)) }
            }
            _ = try syscall("listen") { Glibc.listen(fd, backlog) }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// A blocking stream socket connected to `address`.
    package static func connect(to address: [UInt8]) throws(SystemError) -> Int32 {
        let fd = try syscall("socket") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            _ = try syscall("connect") {
                address.withUnsafeBufferPointer { CMiniFltPosix_connect_abstract(fd, $0.baseAddress, Int32($0.count)) }
            }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// True when something listens on the datagram socket at the file-system `path` (a stale socket file
    /// left by a stopped process does not count).
    package static func hasDatagramListener(at path: String) -> Bool {
        CMiniFltPosix_datagram_listener_at(path) != 0
    }

    /// The abstract name `fd` is bound to, or nil when it is not an abstract AF_UNIX address.
    package static func boundName(of fd: Int32) throws(SystemError) -> [UInt8]? {
        var name = [UInt8](repeating: 0, count: 108)
        let length = name.withUnsafeMutableBufferPointer {
            CMiniFltPosix_abstract_name(fd, $0.baseAddress, Int32($0.count))
        }
        if length == -2 { return nil }
        if length < 0 { throw SystemError("getsockname", errno: Glibc.errno) }
        return Array(name[0..<Int(length)])
    }

    /// The peer's pid, uid and gid (SO_PEERCRED): the client's as of connect(), or the listener's.
    package static func peerCredentials(of fd: Int32) throws(SystemError) -> (pid: Int32, uid: UInt32, gid: UInt32) {
        var credentials = CMiniFltPosix_PeerCredentials()
        _ = try syscall("getsockopt(SO_PEERCRED)") { CMiniFltPosix_peer_credentials(fd, &credentials) }
        return (credentials.pid, credentials.uid, credentials.gid)
    }

    /// The peer's supplementary groups (SO_PEERGROUPS).
    package static func peerGroups(of fd: Int32) throws(SystemError) -> [UInt32] {
        var groups = [UInt32](repeating: 0, count: 64)
        while true {
            let count = groups.withUnsafeMutableBufferPointer {
                CMiniFltPosix_peer_groups(fd, $0.baseAddress, Int32($0.count))
            }
            if count >= 0 { return Array(groups[0..<Int(count)]) }
            let error = Glibc.errno
            guard error == ERANGE, groups.count < 65536 else {
                throw SystemError("getsockopt(SO_PEERGROUPS)", errno: error)
            }
            groups = [UInt32](repeating: 0, count: groups.count * 4)
        }
    }

    /// Writes all of `bytes` to a blocking socket without raising SIGPIPE.
    package static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = try syscall("send") {
                CMiniFltPosix_send(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset, 0)
            }
            offset += written
        }
    }

    /// Writes what fits of `bytes` to a non-blocking socket; returns the count (0 when it would block).
    package static func sendSome(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let written = injectable("send") { CMiniFltPosix_send(fd, bytes.baseAddress, bytes.count, 1) }
            if written >= 0 { return written }
            let error = Glibc.errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return 0 }
            throw SystemError("send", errno: error)
        }
    }

    /// Writes all of `bytes` to a blocking socket without raising SIGPIPE.
    package static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var failure: SystemError?
        bytes.withUnsafeBytes { raw in
            do throws(SystemError) { try sendAll(fd, raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes what fits of `bytes` to a non-blocking socket; returns the count (0 when it would block).
    package static func sendSome(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) -> Int {
        var outcome: Result<Int, SystemError> = .success(0)
        bytes.withUnsafeBytes { raw in
            do throws(SystemError) { outcome = .success(try sendSome(fd, raw)) } catch { outcome = .failure(error) }
        }
        return try outcome.get()
    }

    /// Reads into `buffer`; 0 at end of stream, nil when a non-blocking socket has nothing.
    package static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        while true {
            let count = injectable("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
            if count >= 0 { return count }
            let error = Glibc.errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            throw SystemError("recv", errno: error)
        }
    }

    /// What ``receive(_:into:descriptors:)`` read: the data count (0 at end of stream), the descriptors that
    /// came with it (now the caller's, close-on-exec) and whether the kernel cut control data off.
    package struct Received {
        package var count: Int
        package var descriptors: [Int32]
        /// MSG_CTRUNC: the kernel could not hand over all of the read's descriptors (the process is at
        /// RLIMIT_NOFILE; docs/protocol.md section 12).
        package var cutByKernel: Bool
        /// A control message other than SCM_RIGHTS came.
        package var foreignControl: Bool
        /// Either of the two.
        package var truncated: Bool { cutByKernel || foreignControl }
    }

    /// recvmsg with MSG_CMSG_CLOEXEC and room for 253 descriptors (docs/protocol.md section 12); nil when a
    /// non-blocking socket has nothing.
    package static func receive(
        _ fd: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        withDescriptors: Void
    ) throws(SystemError) -> Received? {
        // The descriptor slots are on the stack, and a message without descriptors (nearly all) allocates no
        // array: this runs for every frame a client sends.
        while true {
            var count: Int32 = 0
            var truncated: Int32 = 0
            let (received, descriptors) = withUnsafeTemporaryAllocation(
                of: Int32.self,
                capacity: Int(CMiniFltPosix_SCM_MAX_FD)
            ) { places -> (Int, [Int32]) in
                let received = injectable("recv") {
                    CMiniFltPosix_receive_descriptors(
                        fd,
                        buffer.baseAddress,
                        buffer.count,
                        places.baseAddress,
                        &count,
                        &truncated
                    )
                }
                // The shim fills at most CMiniFltPosix_SCM_MAX_FD slots and counts them in `count`.
                let filled = min(max(0, Int(count)), places.count)
                return (received, received >= 0 && filled > 0 ? Array(places.prefix(filled)) : [])
            }
            if received >= 0 {
                return Received(
                    count: received,
                    descriptors: descriptors,
                    cutByKernel: truncated & Int32(CMiniFltPosix_CUT_BY_KERNEL) != 0,
                    foreignControl: truncated & Int32(CMiniFltPosix_FOREIGN_CONTROL) != 0
                )
            }
            let error = Glibc.errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            throw SystemError("recvmsg", errno: error)
        }
    }

    /// Writes what fits of `bytes`, with `descriptors` in SCM_RIGHTS, to a socket (non-blocking unless
    /// `wait`); returns the count (0 when it would block, and then no descriptor went either). The descriptors
    /// stay the caller's: the kernel passes duplicates.
    package static func sendSome(
        _ fd: Int32,
        _ bytes: UnsafeRawBufferPointer,
        descriptors: [Int32],
        wait: Bool = false
    ) throws(SystemError) -> Int {
        while true {
            let written = descriptors.withUnsafeBufferPointer { descriptors in
                injectable("send") {
                    CMiniFltPosix_send_descriptors(
                        fd,
                        bytes.baseAddress,
                        bytes.count,
                        descriptors.baseAddress,
                        Int32(descriptors.count),
                        wait ? 0 : 1
                    )
                }
            }
            if written >= 0 { return written }
            let error = Glibc.errno
            if error == EINTR { continue }
            if !wait, error == EAGAIN || error == EWOULDBLOCK { return 0 }
            throw SystemError("sendmsg", errno: error)
        }
    }

    /// ``sendSome(_:_:descriptors:wait:)`` for an array.
    package static func sendSome(
        _ fd: Int32,
        _ bytes: ArraySlice<UInt8>,
        descriptors: [Int32],
        wait: Bool = false
    ) throws(SystemError) -> Int {
        var outcome: Result<Int, SystemError> = .success(0)
        bytes.withUnsafeBytes { raw in
            do throws(SystemError) {
                outcome = .success(try sendSome(fd, raw, descriptors: descriptors, wait: wait))
            } catch {
                outcome = .failure(error)
            }
        }
        return try outcome.get()
    }

    /// Writes all of `bytes` to a blocking socket, `descriptors` with the first byte (docs/protocol.md
    /// section 12). The descriptors stay the caller's.
    package static func sendAll(_ fd: Int32, _ bytes: [UInt8], descriptors: [Int32]) throws(SystemError) {
        guard !descriptors.isEmpty else { return try sendAll(fd, bytes) }
        let written = try sendSome(fd, bytes[...], descriptors: descriptors, wait: true)
        if written < bytes.count { try sendAll(fd, Array(bytes[written...])) }
    }
}

// SPDX-License-Identifier: MIT
public import MiniFltPermissions
public import MiniFltWire

/// How a server port listens and what it tolerates; the defaults are the daemon's (README, "minifltd options").
public struct ServerPortConfiguration: Sendable {
    /// Where the listening socket comes from.
    public enum Listener: Sendable, Hashable {
        /// Bind the abstract address the port name maps to.
        case bind
        /// Serve an already listening socket (socket activation); it must be bound to the port's address.
        case inherited(descriptor: Int32)
    }

    /// The port's name, `\MiniFilterPort_Example`.
    public var name: PortName
    /// Who may connect; default: administrators and the system only.
    public var permissions: PermissionDescriptor = .filterPortDefault
    /// Connections at once, counted from accept until the disconnect routine returns. Default 1 (the seed).
    public var maxConnections: Int = 1
    /// The largest frame body accepted, in bytes. Default 1 MiB.
    public var maxMessageSize: Int = 1 << 20
    /// How long a connection may take to send CONNECT. Default 5 s.
    public var handshakeTimeout: Duration = .seconds(5)
    /// How long the rest of a frame may take once its first bytes arrived (a client that trickles a frame,
    /// or sends a header and falls silent, is disconnected). Default 5 s.
    public var frameTimeout: Duration = .seconds(5)
    /// Connections accepted and not yet through CONNECT at once. Past this many, a new connection ends the
    /// oldest pending one of the uid that holds the most (DISCONNECT `STATUS_INSUFFICIENT_RESOURCES`), so that
    /// one uid's silent sockets never keep another uid out; accepting never pauses for them. Default 64.
    public var maxPendingHandshakes: Int = 64
    /// SENDs of one connection waiting for their result; more are answered `STATUS_INSUFFICIENT_RESOURCES`.
    public var maxOutstandingSends: Int = 128
    /// Bytes queued towards a client that does not read; past this it is disconnected. Default 4 MiB.
    public var maxQueuedOutputBytes: Int = 4 << 20
    /// How long after the last large buffer (a read or write of 64 KiB or more) the port gives the process's
    /// freed memory back to the kernel (`malloc_trim`), so that a burst of large messages does not leave its
    /// peak resident; nil never does. Default 250 ms.
    public var freedMemoryReturnDelay: Duration? = .milliseconds(250)
    /// Descriptors kept free for the rest of the process: a connection whose descriptor falls among the last
    /// this many of the process's limit (RLIMIT_NOFILE) is refused at once with CONNECT_RESULT
    /// `STATUS_INSUFFICIENT_RESOURCES`, so that clients can never take the descriptors the open watcher
    /// needs for its events (the kernel denies an open it cannot hand over), nor the journal's. Descriptors
    /// held for message routines (docs/protocol.md section 12, limits) stay one read's worth (253) further
    /// below it, and so do accepted connections while a client passes descriptors. Default 16.
    public var reservedDescriptors: Int = 16
    /// Where the listening socket comes from. Default: bind.
    public var listener: Listener = .bind
    /// The uid and gid that stand for "unmapped" peers (`/proc/sys/kernel/overflowuid` and `overflowgid`).
    public var overflowIDs: (uid: UInt32, gid: UInt32) = ServerPortConfiguration.systemOverflowIDs()

    public init(name: PortName) {
        self.name = name
    }

    /// Reads the kernel's overflow uid and gid, 65534 where they cannot be read.
    public static func systemOverflowIDs() -> (uid: UInt32, gid: UInt32) {
        (
            readNumber("/proc/sys/kernel/overflowuid") ?? 65534,
            readNumber("/proc/sys/kernel/overflowgid") ?? 65534
        )
    }
}

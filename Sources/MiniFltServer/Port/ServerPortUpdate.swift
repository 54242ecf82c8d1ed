// SPDX-License-Identifier: MIT
public import MiniFltPermissions

/// The settings a running port takes without a restart (``ServerPort/update(_:)``); each nil field stays
/// as it is. Windows has no analogue: a minifilter changes a port's security descriptor or limits only by
/// closing the port and creating it again.
///
/// Each applies to connections accepted after the update; connected clients keep their connection:
/// - ``permissions``: who may connect next. A client that the new descriptor denies stays connected.
/// - ``maxConnections``: a lower limit refuses new connections until enough clients leave; none is ended.
/// - ``maxPendingHandshakes``: how many accepted connections may wait for CONNECT before the oldest of the
///   uid holding the most is ended.
///
/// The other fields of ``ServerPortConfiguration`` are fixed while the port runs: the name and listener
/// (the address itself), the message size, output and outstanding-send limits and the timeouts (each
/// connection took them when it was accepted, and its buffers are sized by them), the descriptor reserve
/// and the overflow ids.
public struct ServerPortUpdate: Sendable, Hashable {
    public var permissions: PermissionDescriptor?
    public var maxConnections: Int?
    public var maxPendingHandshakes: Int?

    public init(permissions: PermissionDescriptor? = nil, maxConnections: Int? = nil, maxPendingHandshakes: Int? = nil)
    {
        self.permissions = permissions
        self.maxConnections = maxConnections
        self.maxPendingHandshakes = maxPendingHandshakes
    }

    /// What changes from `old` to `new` among the fields that apply live: nil fields where they agree.
    public init(from old: ServerPortConfiguration, to new: ServerPortConfiguration) {
        self.init()
        if old.permissions != new.permissions { permissions = new.permissions }
        if old.maxConnections != new.maxConnections { maxConnections = new.maxConnections }
        if old.maxPendingHandshakes != new.maxPendingHandshakes { maxPendingHandshakes = new.maxPendingHandshakes }
    }

    /// Nothing to change.
    public var isEmpty: Bool { permissions == nil && maxConnections == nil && maxPendingHandshakes == nil }
}

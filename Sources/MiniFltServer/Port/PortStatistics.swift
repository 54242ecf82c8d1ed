// SPDX-License-Identifier: MIT
import Synchronization

/// Counters a person reads in `systemctl status` and that tests check.
///
/// # Thread safety
/// Each counter is an `Atomic`; a snapshot is not taken atomically across counters.
public final class PortStatistics: Sendable {
    private let connected = Atomic<Int>(0)
    private let messages = Atomic<Int>(0)
    private let denied = Atomic<Int>(0)
    private let limitRefusals = Atomic<Int>(0)
    private let violations = Atomic<Int>(0)

    /// A copy of the counters.
    public struct Snapshot: Sendable, Hashable {
        /// Clients whose connect routine accepted them and whose disconnect routine has not returned.
        public var connectedClients: Int
        /// SENDs answered.
        public var messagesHandled: Int
        /// Connections refused by the permission descriptor.
        public var accessDenied: Int
        /// Connections refused for max-connections.
        public var connectionLimitRefusals: Int
        /// Connections ended for breaking the wire format.
        public var protocolViolations: Int
    }

    public var snapshot: Snapshot {
        Snapshot(
            connectedClients: connected.load(ordering: .relaxed),
            messagesHandled: messages.load(ordering: .relaxed),
            accessDenied: denied.load(ordering: .relaxed),
            connectionLimitRefusals: limitRefusals.load(ordering: .relaxed),
            protocolViolations: violations.load(ordering: .relaxed)
        )
    }

    func recordConnected() { connected.add(1, ordering: .relaxed) }
    func recordDisconnected() { connected.subtract(1, ordering: .relaxed) }
    func recordMessage() { messages.add(1, ordering: .relaxed) }
    func recordDenied() { denied.add(1, ordering: .relaxed) }
    func recordLimitRefusal() { limitRefusals.add(1, ordering: .relaxed) }
    func recordViolation() { violations.add(1, ordering: .relaxed) }
}

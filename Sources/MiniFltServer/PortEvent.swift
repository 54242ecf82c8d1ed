/// The kinds of event a port logs, as the `event` metadata value; a journald handler maps each to a
/// MESSAGE_ID.
public enum PortEvent: String, Sendable, CaseIterable {
    case listening = "listening"
    case clientConnected = "client-connected"
    case clientDisconnected = "client-disconnected"
    case connectionClosed = "connection-closed"
    case accessDenied = "access-denied"
    case connectionLimit = "connection-limit"
    case protocolViolation = "protocol-violation"
    case handshakeTimeout = "handshake-timeout"
    case limitHit = "limit-hit"
    case routineFailure = "routine-failure"
    case acceptFailure = "accept-failure"
    case stopped = "stopped"

    /// The metadata key that carries the event kind.
    public static let metadataKey = "event"
}

/// Metadata keys the port uses for a client's identity and a status.
public enum PortMetadataKey {
    public static let clientPID = "client.pid"
    public static let clientUID = "client.uid"
    public static let clientGID = "client.gid"
    public static let status = "status"
    public static let port = "port"
}

// SPDX-License-Identifier: MIT
/// The kinds of event a port and its daemon log, as the `event` metadata value; a journald handler maps
/// each to a MESSAGE_ID.
public enum PortEvent: String, Sendable, CaseIterable {
    /// The daemon starts (before the port exists).
    case starting = "starting"
    case listening = "listening"
    /// The daemon told the service manager it is ready.
    case ready = "ready"
    /// A message routine ran (the example filter's "send data" lines).
    case message = "message"
    /// The daemon begins to shut down.
    case stopping = "stopping"
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
    /// Log lines about one peer were dropped for a while (a client that keeps failing).
    case rateLimited = "rate-limited"
    /// The routine queue or the I/O path stopped making progress: watchdog pings stop.
    case watchdogStalled = "watchdog-stalled"
    /// What the port did in an interval whose events were not all logged one by one: messages, bytes,
    /// clients, refusals, verdicts, and log entries left out.
    case activitySummary = "activity-summary"
    /// The log sink fell behind and entries were dropped; the entry says how many.
    case logDropped = "log-dropped"
    /// A signal other than SIGTERM and SIGINT arrived (SIGHUP, SIGUSR1, ...): what the daemon did about it.
    case signalReceived = "signal"

    /// The metadata key that carries the event kind.
    public static let metadataKey = "event"

    /// The journal's MESSAGE_ID for this kind of event (32 hex digits); `systemd/minifltd.catalog` explains
    /// each to `journalctl -x`, and a test keeps the two in step.
    public var messageID: String {
        switch self {
        case .starting: "30971de74ae54a0097232890ed59c261"
        case .listening: "3834adf4915a45839dea085446e3b98b"
        case .ready: "6109543eb12a4a26ad74248a9a6572b6"
        case .clientConnected: "3a5433bc7a134ea4ad57fd01be149c3c"
        case .clientDisconnected: "261f3f8654cb4a4cad90d688a6ca2385"
        case .connectionClosed: "4b0f3c7e9d2a4e51a8f6c2d19e7b5a30"
        case .message: "6145666b7d864cd4a8621432f2637046"
        case .accessDenied: "b1eeee55a5fe439e851603ec07e044ea"
        case .connectionLimit: "89acaeb1600c4725a2798990668a00cf"
        case .protocolViolation: "ab307931b0b346919717bf6f5acb4af1"
        case .handshakeTimeout: "26c58301a1084d5bb6ea87dd158000d7"
        case .limitHit: "7e379e48c3744795be23b95444012332"
        case .routineFailure: "ca735ce1d9ad49ec831a5e420ae6f6c1"
        case .acceptFailure: "2d666a17b35545c3b3ff305234a913d8"
        case .stopping: "e4a25aa533ca4c258f2de5ab914b7e05"
        case .stopped: "bab1b5e1e16c4f309844d07bbe7faba6"
        case .rateLimited: "3cf670e1cf9f4236bbde990016be54d1"
        case .watchdogStalled: "cfa6ab09081245b68be601d53d7f4c50"
        case .activitySummary: "37fbcf9deece4d23917bfb3c9d0df75f"
        case .logDropped: "44d2246c2776437badf32d7d380ad3b5"
        case .signalReceived: "6d7b4747170a49e28442df9b8aa1befd"
        }
    }

    /// MESSAGE_IDs keyed by the `event` metadata value, as a journald log handler takes them.
    public static var messageIDsByName: [String: String] {
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.messageID) })
    }
}

/// Metadata keys the port uses for a client's identity and a status.
public enum PortMetadataKey {
    public static let clientPID = "client.pid"
    public static let clientUID = "client.uid"
    public static let clientGID = "client.gid"
    public static let status = "status"
    public static let port = "port"
}

// SPDX-License-Identifier: MIT
import CSystemd
import MiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager about the daemon's state (what `sd_notify` sends): readiness, a status line,
/// stopping, and watchdog pings. Without `NOTIFY_SOCKET` every call does nothing.
///
/// It never waits: `sd_notify` sends on a blocking socket, and systemd's notification queue can be full
/// while PID 1 itself waits on something the daemon holds (an open of a watched file). A datagram that does
/// not fit at once fails, and the caller sends again later: the watchdog at its next tick, the status when
/// it next refreshes, READY=1 until it goes through.
public struct ServiceNotifier: Sendable {
    public init() {}

    /// True when a service manager listens (`NOTIFY_SOCKET` is set).
    public var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// `READY=1` with a status line: the port listens.
    @discardableResult
    public func ready(status: String) -> Bool { notify("READY=1\nSTATUS=\(ServiceNotifier.escape(status))") }

    /// `STATUS=`: the line `systemctl status` shows.
    @discardableResult
    public func status(_ status: String) -> Bool { notify("STATUS=\(ServiceNotifier.escape(status))") }

    /// `STOPPING=1`: the daemon is shutting down.
    @discardableResult
    public func stopping(status: String) -> Bool {
        notify("STOPPING=1\nSTATUS=\(ServiceNotifier.escape(status))")
    }

    /// A status text as systemd reads it: it C-unescapes `STATUS=` (so `@\minifilterport_example` would lose
    /// its backslash), and a newline would end the field.
    public static func escape(_ status: String) -> String {
        var escaped = ""
        for character in status {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// `WATCHDOG=1`: the daemon is making progress.
    @discardableResult
    public func watchdog() -> Bool { notify("WATCHDOG=1") }

    /// Sends `state` without waiting; true when the service manager's socket took it.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let address = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !address.isEmpty else { return false }
        do throws(SystemError) {
            let socket = try DatagramSocket(connectingTo: address, nonBlocking: true)
            defer { socket.close() }
            try socket.send(Array(state.utf8), dontWait: true)
            return true
        } catch {
            return false
        }
    }

    /// The interval systemd expects pings at (`WATCHDOG_USEC`, checked against `WATCHDOG_PID`), or nil
    /// when the watchdog is off. Ping at half of it.
    public static var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds))
    }
}

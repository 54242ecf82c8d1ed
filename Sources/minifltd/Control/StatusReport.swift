// SPDX-License-Identifier: MIT
import MiniFltFilter
import MiniFltPermissions
import MiniFltServer
import MiniFltWire

#if canImport(Glibc)
import Glibc
#endif

/// What `minifltctl status` shows (docs/protocol.md section 11): the daemon, its ports, each connected
/// client, the port's counters and, when it watches opens, the verdict statistics.
struct StatusReport: Sendable {
    let port: ServerPort
    let controlName: String
    let counters: ActivityCounters
    let startedAt: Double
    let watching: Bool

    var value: StatusValue {
        let configuration = port.configuration
        let numbers = port.statistics.snapshot
        let activity = counters.snapshot
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let clients: [StatusValue] = port.clients.map { client in
            .object([
                ("id", .integer(Int(client.id))), ("pid", .integer(Int(client.peer.pid))),
                ("uid", .integer(Int(client.peer.uid))), ("gid", .integer(Int(client.peer.gid))),
                ("since", .string(StatusReport.timestamp(client.connectedSince))),
                ("messages", .integer(client.messagesHandled)),
            ])
        }
        var members: [(String, StatusValue)] = [
            (
                "daemon",
                .object([
                    ("pid", .integer(Int(getpid()))), ("version", .string(ProductVersion.string)),
                    ("since", .string(StatusReport.timestamp(startedAt))),
                ])
            ),
            (
                "ports",
                .array([
                    .object([
                        ("name", .string(configuration.name.name)), ("address", .string(port.address)),
                        ("role", .string("filter")), ("max_connections", .integer(configuration.maxConnections)),
                        ("permissions", .string("\(configuration.permissions)")),
                    ]),
                    .object([
                        ("name", .string(controlName)), ("address", .string("@" + controlName.lowercased())),
                        ("role", .string("control")),
                    ]),
                ])
            ),
            ("clients", .array(clients)),
            (
                "counters",
                .object([
                    ("connected_clients", .integer(numbers.connectedClients)),
                    ("messages", .integer(numbers.messagesHandled)), ("access_denied", .integer(numbers.accessDenied)),
                    ("refused_at_limit", .integer(numbers.connectionLimitRefusals)),
                    ("protocol_violations", .integer(numbers.protocolViolations)),
                    ("connects", .integer(activity.connects)), ("disconnects", .integer(activity.disconnects)),
                    ("bytes_in", .integer(activity.bytesIn)), ("bytes_out", .integer(activity.bytesOut)),
                ])
            ),
        ]
        if watching {
            members.append(
                (
                    "verdicts",
                    .object([
                        ("allowed", .integer(activity.opensAllowed)), ("blocked", .integer(activity.opensBlocked)),
                        ("undecided", .integer(activity.opensUndecided)), ("asked", .integer(activity.opensAsked)),
                        ("timed_out", .integer(activity.opensTimedOut)), ("full", .integer(activity.opensFull)),
                        ("cached", .integer(activity.filesCached)), ("cache_flushes", .integer(activity.cacheFlushes)),
                        ("tree_overflows", .integer(activity.treeOverflows)),
                    ])
                )
            )
        }
        return .object(members)
    }

    /// `2026-12-07T11:16:13Z` (UTC).
    static func timestamp(_ seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

// SPDX-License-Identifier: MIT
public import Logging
public import MiniFltLogging
import MiniFltPosix
import Synchronization

/// Wraps a log handler so that a client that keeps failing cannot flood the log: entries of level notice and
/// above that carry a client uid (refusals, violations, timeouts) pass at most `burst` times per `window` for
/// that uid; the rest are counted, and the next entry that passes after the window says how many were
/// dropped. Info lines of working clients are not limited: `--log-level` sets their volume.
public struct PeerRateLimitedLogHandler: WrappingLogHandler {
    /// Counters shared by every copy of the handler (swift-log copies handlers with their metadata).
    public final class Budget: Sendable {
        struct Account {
            var windowStart: Int64
            var passed: Int
            var dropped: Int
        }

        /// Entries that pass per uid per window.
        public let burst: Int
        let windowNanoseconds: Int64
        let accounts = StateLock<[String: Account]>([:])

        public init(burst: Int, window: Duration) {
            self.burst = burst
            windowNanoseconds = window.nanoseconds
        }

        /// Whether an entry for `peer` may pass now, and how many were dropped before it (when it passes
        /// first in a new window).
        func admit(_ peer: String, now: Int64) -> (pass: Bool, droppedBefore: Int) {
            accounts.withLock { accounts in
                var account = accounts[peer] ?? Account(windowStart: now, passed: 0, dropped: 0)
                var droppedBefore = 0
                if now - account.windowStart >= windowNanoseconds {
                    droppedBefore = account.dropped
                    account = Account(windowStart: now, passed: 0, dropped: 0)
                }
                let pass = account.passed < burst
                if pass { account.passed += 1 } else { account.dropped += 1 }
                accounts[peer] = account
                if accounts.count > 4096 {
                    accounts = accounts.filter { now - $0.value.windowStart < windowNanoseconds }
                }
                return (pass, droppedBefore)
            }
        }
    }

    public var wrapped: any LogHandler
    public let budget: Budget
    /// Monotonic nanoseconds.
    public let clock: @Sendable () -> Int64

    /// - Parameters:
    ///   - wrapped: the handler entries go to.
    ///   - budget: the per-uid counters, shared by every copy of this handler.
    ///   - clock: monotonic nanoseconds.
    public init(wrapped: any LogHandler, budget: Budget, clock: @escaping @Sendable () -> Int64) {
        self.wrapped = wrapped
        self.budget = budget
        self.clock = clock
    }

    public func log(event: LogEvent) {
        let uid = event.metadata?[PortMetadataKey.clientUID] ?? wrapped.metadata[PortMetadataKey.clientUID]
        guard let uid, event.level >= .notice else { return wrapped.log(event: event) }
        let (pass, droppedBefore) = budget.admit("\(uid)", now: clock())
        guard pass else { return }
        if droppedBefore > 0 {
            var notice = event
            notice.level = .warning
            notice.message =
                "dropped \(droppedBefore) log entries about uid \(uid) in the last \(budget.windowNanoseconds / 1_000_000_000) s (rate limit: \(budget.burst) per window)"
            notice.metadata = [
                PortEvent.metadataKey: "\(PortEvent.rateLimited.rawValue)", PortMetadataKey.clientUID: uid,
            ]
            wrapped.log(event: notice)
        }
        wrapped.log(event: event)
    }
}

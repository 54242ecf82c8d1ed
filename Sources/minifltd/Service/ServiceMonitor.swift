// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltPosix
import MiniFltServer
import MiniFltSystemd
import Synchronization

/// Keeps the service manager informed: `READY=1` once the port listens, a `STATUS=` line when it changes,
/// `STOPPING=1` at shutdown, and `WATCHDOG=1` only while both the routine queue and the I/O path make
/// progress. Does nothing without `NOTIFY_SOCKET`.
///
/// Progress is measured, not assumed: each tick queues a block on the routine queue and a probe on the
/// port's I/O path, and the next tick pings only if both ran. A routine that hangs, or an I/O loop that
/// does, stops the pings, and systemd restarts the service after `WatchdogSec=`.
final class ServiceMonitor: Sendable {
    private struct State {
        var probe: UInt64 = 0
        var routineAnswered: UInt64 = 0
        var ioAnswered: UInt64 = 0
        var lastStatus = ""
        var stalled = false
        /// READY=1 reached the service manager (a full notification queue makes a send fail; it is retried).
        var readySent = false
    }

    private let port: ServerPort
    private let routineQueue: DispatchQueue
    private let notifier = ServiceNotifier()
    private let logger: Logger
    private let state = StateLock(State())
    private let queue = DispatchQueue(label: "minifltd.service-monitor", qos: .utility)
    /// Scheduled in `start`, cancelled in `stopping`; a Dispatch source is safe to use from any thread.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    /// The open watcher's part of the status line (`--watch`), if it runs.
    private let watchStatus: (@Sendable () -> String)?

    init(port: ServerPort, routineQueue: DispatchQueue, logger: Logger, watchStatus: (@Sendable () -> String)? = nil) {
        self.port = port
        self.watchStatus = watchStatus
        self.routineQueue = routineQueue
        self.logger = logger
        self.timer = DispatchSource.makeTimerSource(queue: queue)
        // A source released while suspended crashes libdispatch: resume it now, idle until `start`.
        timer.setEventHandler {}
        timer.schedule(deadline: .distantFuture)
        timer.resume()
    }

    /// The line `systemctl status` shows.
    var statusLine: String {
        let numbers = port.statistics.snapshot
        return
            "listening on \(port.address); clients \(numbers.connectedClients)/\(port.configuration.maxConnections); "
            + "messages \(numbers.messagesHandled); access denied \(numbers.accessDenied); "
            + "refused at the limit \(numbers.connectionLimitRefusals); protocol violations \(numbers.protocolViolations)"
            + (watchStatus.map { "; \($0())" } ?? "")
    }

    /// Sends READY=1 and starts the status and watchdog timer.
    func start() {
        guard notifier.isEnabled else { return }
        let status = statusLine
        let sent = notifier.ready(status: status)
        state.withLock {
            $0.lastStatus = status
            $0.readySent = sent
        }
        logger.event(.info, .ready, "ready: \(status)")
        let watchdog = ServiceNotifier.watchdogInterval
        // Ping at half the watchdog interval; refresh the status line at least every second.
        let tick = min(.seconds(1), watchdog.map { $0 / 2 } ?? .seconds(1))
        timer.schedule(deadline: .now(), repeating: .nanoseconds(Int(tick.nanoseconds)))
        timer.setEventHandler { [self] in
            self.refreshStatus()
            if watchdog != nil { self.checkProgressAndPing() }
        }
    }

    /// Sends STOPPING=1 and stops the timer.
    func stopping() {
        timer.cancel()
        notifier.stopping(status: "stopping: disconnecting clients")
    }

    private func refreshStatus() {
        let status = statusLine
        if !state.withLock({ $0.readySent }) {
            let sent = notifier.ready(status: status)
            state.withLock {
                $0.readySent = sent
                $0.lastStatus = status
            }
            return
        }
        let changed = state.withLock { state in
            defer { state.lastStatus = status }
            return state.lastStatus != status
        }
        // A status the full queue did not take is sent again at the next tick.
        if changed, !notifier.status(status) { state.withLock { $0.lastStatus = "" } }
    }

    private func checkProgressAndPing() {
        let (healthy, probe, routineStuck) = state.withLock { state in
            (
                state.routineAnswered == state.probe && state.ioAnswered == state.probe, state.probe,
                state.routineAnswered != state.probe
            )
        }
        guard healthy else {
            let first = state.withLock { state in
                defer { state.stalled = true }
                return !state.stalled
            }
            if first {
                let part = routineStuck ? "the routine queue" : "the I/O path"
                logger.event(
                    .critical,
                    .watchdogStalled,
                    "\(part) has made no progress for a watchdog tick: no longer pinging the watchdog, so systemd will restart the service"
                )
            }
            return
        }
        notifier.watchdog()
        let next = probe + 1
        state.withLock { state in
            state.probe = next
            state.stalled = false
        }
        routineQueue.async { [self] in state.withLock { $0.routineAnswered = next } }
        port.probeEventLoop { [self] in state.withLock { $0.ioAnswered = next } }
    }
}

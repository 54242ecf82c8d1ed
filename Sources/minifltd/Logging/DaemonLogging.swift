// SPDX-License-Identifier: MIT
import Logging
import MiniFltLogging
import MiniFltPosix
import MiniFltServer
import MiniFltSystemd

/// minifltd's log, set up once at start: every entry is captured on the caller's thread and written by the
/// log queue's own thread, to the journal or the console.
///
/// Between the two, entries pass two limits, each of which counts what it leaves out and says so in the next
/// entry that passes: at most 50 entries of level notice and above per client uid per 10 s (a client that
/// keeps failing), then at most ``burst`` entries at info and above at once and ``perSecond`` a second in the
/// long run for the whole port. Start, stop, readiness, the watchdog's alarm, the activity summary and the
/// queue's own warning about drops are exempt: a few per run or per interval by design.
struct DaemonLogging {
    /// The port's line budget: entries at once, and entries a second in the long run.
    static let burst = 100
    static let perSecond = 10
    /// Entries waiting for the writer at most; more are dropped and counted.
    static let queueCapacity = 1024
    /// Events that never count against the budget.
    static let exempt: Set<String> = Set(
        [
            PortEvent.starting, .listening, .ready, .stopping, .stopped, .watchdogStalled, .activitySummary,
            .logDropped, .signalReceived,
        ].map(\.rawValue)
    )

    let logger: Logger
    let queue: LogQueue
    let budget: LineBudget
    /// The level every logger of the daemon follows; SIGHUP may change it.
    let level: LogLevelSwitch

    init(level: Logger.Level, target: LogTarget) {
        let writer: any LogWriter
        switch target.resolved {
        case .journal:
            writer = JournalLogWriter(
                identifier: "minifltd",
                messageIDs: PortEvent.messageIDsByName,
                socketPath: LogTarget.journalSocket
            )
        case .console, .auto:
            writer = ConsoleLogWriter()
        }
        let queue = LogQueue(
            capacity: DaemonLogging.queueCapacity,
            label: "minifltd",
            dropMetadata: [PortEvent.metadataKey: "\(PortEvent.logDropped.rawValue)"],
            writer: writer
        )
        let budget = LineBudget(burst: DaemonLogging.burst, perSecond: DaemonLogging.perSecond)
        let levelSwitch = LogLevelSwitch(level)
        let peerBudget = PeerRateLimitedLogHandler.Budget(burst: 50, window: .seconds(10))
        LoggingSystem.bootstrap { label in
            let queued = QueuedLogHandler(label: label, queue: queue, levelSwitch: levelSwitch)
            let budgeted = LineBudgetLogHandler(
                wrapped: queued,
                budget: budget,
                eventKey: PortEvent.metadataKey,
                exempt: DaemonLogging.exempt,
                noticeEvent: PortEvent.rateLimited.rawValue
            )
            return PeerRateLimitedLogHandler(wrapped: budgeted, budget: peerBudget, clock: { MonotonicClock.now })
        }
        self.logger = Logger(label: "minifltd")
        self.queue = queue
        self.budget = budget
        self.level = levelSwitch
    }
}

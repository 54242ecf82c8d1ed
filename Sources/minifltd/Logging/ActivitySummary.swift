// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltLogging
import MiniFltPosix
import MiniFltServer
import Synchronization

/// The periodic summary that stands in for per-message lines at info: every `interval`, if anything since
/// the previous summary was not logged one by one (messages past a connection's first few, opens decided
/// quietly, entries the line budget left out or the queue dropped), one entry counts everything since the
/// previous summary. A last one at shutdown covers the rest, so the summaries' counts add up to the port's.
///
/// Each count is also a journal field (`MINIFLT_MESSAGES`, `MINIFLT_BYTES_IN`, ...).
final class ActivitySummary: Sendable {
    private struct Totals: Equatable {
        var activity = ActivityCounters.Snapshot()
        var refused = 0
        var violations = 0
        var withheld = 0
        var dropped = 0
        var at: Int64 = MonotonicClock.now
    }

    private let counters: ActivityCounters
    private let port: ServerPort
    private let budget: LineBudget
    private let queue: LogQueue
    private let logger: Logger
    private let interval: Duration
    private let last = StateLock(Totals())
    private let timerQueue = DispatchQueue(label: "minifltd.summary", qos: .utility)
    /// Scheduled in `start`; a Dispatch source is safe to use from any thread.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    init(
        counters: ActivityCounters,
        port: ServerPort,
        budget: LineBudget,
        queue: LogQueue,
        logger: Logger,
        interval: Duration
    ) {
        self.counters = counters
        self.port = port
        self.budget = budget
        self.queue = queue
        self.logger = logger
        self.interval = interval
        timer = DispatchSource.makeTimerSource(queue: timerQueue)
    }

    func start() {
        let nanoseconds = Int(interval.nanoseconds)
        timer.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds))
        timer.setEventHandler { [self] in summarize(final: false) }
        timer.resume()
    }

    /// The last summary, at shutdown: whatever happened since the previous one.
    func finish() {
        timer.cancel()
        summarize(final: true)
    }

    private func current() -> Totals {
        let numbers = port.statistics.snapshot
        return Totals(
            activity: counters.snapshot,
            refused: numbers.accessDenied + numbers.connectionLimitRefusals,
            violations: numbers.protocolViolations,
            withheld: budget.withheldTotal,
            dropped: queue.droppedTotal
        )
    }

    private func summarize(final: Bool) {
        let now = current()
        // The window runs from the previous summary, not the previous tick, so that the summaries add up.
        guard
            let previous = last.withLock({ last -> Totals? in
                let delta = now.activity - last.activity
                let quiet = delta.folded + now.withheld - last.withheld + now.dropped - last.dropped
                let anything =
                    delta != ActivityCounters.Snapshot() || now.refused != last.refused
                    || now.violations != last.violations
                guard quiet > 0 || (final && anything) else { return nil }
                defer { last = now }
                return last
            })
        else { return }
        let delta = now.activity - previous.activity
        let withheld = now.withheld - previous.withheld
        let dropped = now.dropped - previous.dropped
        let refused = now.refused - previous.refused
        let violations = now.violations - previous.violations
        let tenths = (now.at - previous.at) / 100_000_000
        let message =
            "activity in the last \(tenths / 10).\(tenths % 10) s: \(delta.messages) messages "
            + "(\(delta.bytesIn) bytes in, \(delta.bytesOut) out), \(delta.connects) connects, \(delta.disconnects) disconnects, "
            + "\(refused) refused, \(violations) protocol violations, \(delta.opens) watched opens "
            + "(\(delta.opensBlocked) blocked, \(delta.opensUndecided) allowed without a verdict; \(delta.opensAsked) asked "
            + "of a client, \(delta.opensTimedOut) timed out, \(delta.opensFull) past the in-flight bound; "
            + "\(delta.filesCached) files cached, \(delta.cacheFlushes) cache flushes, "
            + "\(delta.treeOverflows) inotify queue overflows); "
            + "\(delta.folded) of these not logged one by one, \(withheld) log entries left out, \(dropped) dropped"
        logger.info(
            "\(message)",
            metadata: [
                PortEvent.metadataKey: "\(PortEvent.activitySummary.rawValue)",
                "messages": "\(delta.messages)", "bytes.in": "\(delta.bytesIn)", "bytes.out": "\(delta.bytesOut)",
                "connects": "\(delta.connects)", "disconnects": "\(delta.disconnects)", "refused": "\(refused)",
                "violations": "\(violations)", "opens": "\(delta.opens)", "opens.blocked": "\(delta.opensBlocked)",
                "opens.undecided": "\(delta.opensUndecided)", "opens.asked": "\(delta.opensAsked)",
                "opens.timedout": "\(delta.opensTimedOut)", "opens.full": "\(delta.opensFull)",
                "cache.added": "\(delta.filesCached)", "cache.flushes": "\(delta.cacheFlushes)",
                "tree.overflows": "\(delta.treeOverflows)",
                "folded": "\(delta.folded)", "withheld": "\(withheld)",
                "dropped": "\(dropped)", "interval.ms": "\(tenths * 100)",
            ]
        )
    }
}

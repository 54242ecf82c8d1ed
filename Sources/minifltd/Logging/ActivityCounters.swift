// SPDX-License-Identifier: MIT
import MiniFltFilter
import MiniFltPosix
import Synchronization

/// What the example filter and the open watcher did, counted as it happens so that the activity summary
/// can report what was not logged one by one. Relaxed atomics: one add per event, no lock.
final class ActivityCounters: Sendable {
    let messages = Atomic<Int>(0)
    /// Messages logged one by one (the first of each connection).
    let messagesLogged = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)
    let connects = Atomic<Int>(0)
    let disconnects = Atomic<Int>(0)
    let opensAllowed = Atomic<Int>(0)
    let opensBlocked = Atomic<Int>(0)
    /// Opens allowed because no usable verdict came (no client, a timeout, an error).
    let opensUndecided = Atomic<Int>(0)
    /// Opens whose decision was logged at info or above.
    let opensLogged = Atomic<Int>(0)
    /// The open watcher's library counters (asked, timeouts, full bound, cache), once watching starts.
    let filter = StateLock<FilterStatistics?>(nil)

    /// A copy of every counter.
    struct Snapshot: Equatable {
        var messages = 0, messagesLogged = 0, bytesIn = 0, bytesOut = 0, connects = 0, disconnects = 0
        var opensAllowed = 0, opensBlocked = 0, opensUndecided = 0, opensLogged = 0
        /// From the filter library: opens asked of the client (each a cache miss), answered by the deadline,
        /// answered at once because the in-flight bound was full, files put in the cache, cache flushes.
        var opensAsked = 0, opensTimedOut = 0, opensFull = 0, filesCached = 0, cacheFlushes = 0
        /// Times inotify's queue overflowed under a watched tree, which was walked again.
        var treeOverflows = 0

        var opens: Int { opensAllowed + opensBlocked + opensUndecided }
        /// Events the log did not show one by one.
        var folded: Int { messages - messagesLogged + opens - opensLogged }

        static func - (lhs: Snapshot, rhs: Snapshot) -> Snapshot {
            Snapshot(
                messages: lhs.messages - rhs.messages,
                messagesLogged: lhs.messagesLogged - rhs.messagesLogged,
                bytesIn: lhs.bytesIn - rhs.bytesIn,
                bytesOut: lhs.bytesOut - rhs.bytesOut,
                connects: lhs.connects - rhs.connects,
                disconnects: lhs.disconnects - rhs.disconnects,
                opensAllowed: lhs.opensAllowed - rhs.opensAllowed,
                opensBlocked: lhs.opensBlocked - rhs.opensBlocked,
                opensUndecided: lhs.opensUndecided - rhs.opensUndecided,
                opensLogged: lhs.opensLogged - rhs.opensLogged,
                opensAsked: lhs.opensAsked - rhs.opensAsked,
                opensTimedOut: lhs.opensTimedOut - rhs.opensTimedOut,
                opensFull: lhs.opensFull - rhs.opensFull,
                filesCached: lhs.filesCached - rhs.filesCached,
                cacheFlushes: lhs.cacheFlushes - rhs.cacheFlushes,
                treeOverflows: lhs.treeOverflows - rhs.treeOverflows
            )
        }
    }

    var snapshot: Snapshot {
        let library = filter.withLock { $0 }?.snapshot ?? FilterStatistics.Snapshot()
        return Snapshot(
            messages: messages.load(ordering: .relaxed),
            messagesLogged: messagesLogged.load(ordering: .relaxed),
            bytesIn: bytesIn.load(ordering: .relaxed),
            bytesOut: bytesOut.load(ordering: .relaxed),
            connects: connects.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed),
            opensAllowed: opensAllowed.load(ordering: .relaxed),
            opensBlocked: opensBlocked.load(ordering: .relaxed),
            opensUndecided: opensUndecided.load(ordering: .relaxed),
            opensLogged: opensLogged.load(ordering: .relaxed),
            opensAsked: library.asked,
            opensTimedOut: library.timeouts,
            opensFull: library.full,
            filesCached: library.cached,
            cacheFlushes: library.cacheFlushes,
            treeOverflows: library.treeOverflows
        )
    }
}

// SPDX-License-Identifier: MIT
import Synchronization

/// What a filter's library did, counted with relaxed atomics as it happens.
public final class FilterStatistics: Sendable {
    /// Permission events handed to the filter: each a cache miss when the cache is on.
    let asked = Atomic<Int>(0)
    /// Events answered by the filter in time.
    let answered = Atomic<Int>(0)
    /// Answers that came after the event was answered (late or twice): ignored.
    let lateAnswers = Atomic<Int>(0)
    let timeouts = Atomic<Int>(0)
    /// Events answered on arrival because the in-flight bound was full.
    let full = Atomic<Int>(0)
    /// Events of the process itself and of exempt processes, allowed without asking.
    let exempt = Atomic<Int>(0)
    /// Files put in the decision cache.
    let cached = Atomic<Int>(0)
    let cacheFlushes = Atomic<Int>(0)
    let notifications = Atomic<Int>(0)
    /// Directories marked for tree targets after the start (made or moved in while watched).
    let treeDirectoriesAdded = Atomic<Int>(0)
    /// Times inotify's queue overflowed (IN_Q_OVERFLOW: events, so new directories, were lost) and the trees
    /// were walked again; counted once the walk is done.
    let treeOverflows = Atomic<Int>(0)
    /// Reads of the group that failed (EMFILE, ENOMEM...): the kernel denies the event it could not hand over.
    let readErrors = Atomic<Int>(0)

    init() {}

    /// A copy of the counters. Cache hits are not among them: a cached file's events are dropped in the
    /// kernel (``DecisionCache``), so nobody in user space sees them; `asked` counts the misses.
    public struct Snapshot: Sendable, Equatable {
        public var asked = 0, answered = 0, lateAnswers = 0, timeouts = 0, full = 0, exempt = 0
        public var cached = 0, cacheFlushes = 0, notifications = 0, treeDirectoriesAdded = 0, treeOverflows = 0
        public var readErrors = 0
        public init() {}
    }

    public var snapshot: Snapshot {
        var snapshot = Snapshot()
        snapshot.asked = asked.load(ordering: .relaxed)
        snapshot.answered = answered.load(ordering: .relaxed)
        snapshot.lateAnswers = lateAnswers.load(ordering: .relaxed)
        snapshot.timeouts = timeouts.load(ordering: .relaxed)
        snapshot.full = full.load(ordering: .relaxed)
        snapshot.exempt = exempt.load(ordering: .relaxed)
        snapshot.cached = cached.load(ordering: .relaxed)
        snapshot.cacheFlushes = cacheFlushes.load(ordering: .relaxed)
        snapshot.notifications = notifications.load(ordering: .relaxed)
        snapshot.treeDirectoriesAdded = treeDirectoriesAdded.load(ordering: .relaxed)
        snapshot.treeOverflows = treeOverflows.load(ordering: .relaxed)
        snapshot.readErrors = readErrors.load(ordering: .relaxed)
        return snapshot
    }
}

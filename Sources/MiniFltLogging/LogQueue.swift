// SPDX-License-Identifier: MIT
import DequeModule
public import Logging
import MiniFltPosix

/// A bounded queue of log entries and the one thread that writes them, so that no logging call ever waits
/// for a log sink.
///
/// A caller only appends a captured ``LogRecord`` under a short lock; a thread of the queue's own takes
/// entries in batches and hands them to its ``LogWriter``. When the writer falls behind by ``capacity``
/// entries (the journal stopped reading, a stderr pipe is full), new entries are dropped and counted, and
/// once the writer has caught up it writes one warning with the count. The last quarter of the queue is
/// kept for entries of level notice and above, so that a flood of debug or info lines never crowds out the
/// warning that explains it. A verdict on a file open can thus be
/// given while journald itself waits on that open.
///
/// # Thread safety
/// Any thread may call ``enqueue(_:)`` and ``flush(timeout:)``; the writer runs only on the queue's thread.
public final class LogQueue: Sendable {
    private struct State {
        var records: Deque<LogRecord> = []
        /// Entries dropped since the writer last reported drops.
        var dropped = 0
        /// Entries dropped since start.
        var droppedTotal = 0
        /// The writer thread waits for entries (so an enqueue must wake it).
        var writerWaiting = false
        /// The writer is writing a batch it has taken.
        var writing = false
    }

    /// Entries waiting at most, besides the batch the writer holds; more are dropped until it catches up.
    public let capacity: Int
    /// The label and metadata of the warning the queue writes itself about drops.
    private let label: String
    private let dropMetadata: Logger.Metadata
    private let state = ConditionLock(State())

    /// Starts the writer thread.
    /// - Parameters:
    ///   - capacity: entries queued at most (1,024 by default, about 1 MiB of typical lines).
    ///   - label: the logger label of the queue's own warning about drops.
    ///   - dropMetadata: that warning's metadata (its event kind); a `dropped` count is added.
    ///   - writer: where entries go.
    public init(capacity: Int = 1024, label: String, dropMetadata: Logger.Metadata = [:], writer: some LogWriter) {
        self.capacity = capacity
        self.label = label
        self.dropMetadata = dropMetadata
        let thread = PosixThread(name: "log-writer") { [self] in run(writer) }
        thread.detach()
    }

    /// Queues `record`, or drops and counts it when the queue is full. Never blocks on the writer.
    public func enqueue(_ record: LogRecord) {
        let limit = record.level >= .notice ? capacity : capacity - capacity / 4
        let wake = state.withLock { state -> Bool in
            guard state.records.count < limit else {
                state.dropped += 1
                state.droppedTotal += 1
                return false
            }
            state.records.append(record)
            defer { state.writerWaiting = false }
            return state.writerWaiting
        }
        if wake { state.broadcast() }
    }

    /// Entries dropped since start because the queue was full.
    public var droppedTotal: Int { state.withLock { $0.droppedTotal } }

    /// Waits until every queued entry is written, at most `timeout`; false if the writer is still behind
    /// (blocked on a sink) when it passes. For exit paths: a process must not hang on its log.
    @discardableResult
    public func flush(timeout: Duration) -> Bool {
        let deadline = MonotonicClock.now + timeout.nanoseconds
        return state.wait(until: deadline) { state in
            state.records.isEmpty && !state.writing && state.dropped == 0 ? true : nil
        } ?? false
    }

    private func run(_ writer: some LogWriter) {
        var writer = writer
        while true {
            // Without a deadline the wait returns only with a batch.
            guard
                let (batch, dropped) = state.wait({ state -> ([LogRecord], Int)? in
                    guard !state.records.isEmpty || state.dropped > 0 else {
                        state.writerWaiting = true
                        return nil
                    }
                    state.writerWaiting = false
                    state.writing = true
                    defer {
                        state.records.removeAll(keepingCapacity: true)
                        state.dropped = 0
                    }
                    return (Array(state.records), state.dropped)
                })
            else { continue }
            for record in batch { writer.write(record) }
            if dropped > 0 {
                writer.write(
                    LogRecord(
                        level: .warning,
                        message:
                            "dropped \(dropped) log entries: the log sink did not keep up (more than \(capacity) waiting); the port's counters and summaries still count what they described",
                        metadata: dropMetadata.merging(["dropped": "\(dropped)"]) { $1 },
                        label: label
                    )
                )
            }
            state.withLock { $0.writing = false }
            state.broadcast()
        }
    }
}

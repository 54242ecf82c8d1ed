// SPDX-License-Identifier: MIT
import Synchronization

/// When the partial frame a connection's decoder holds began, and whether the engine holds its deadline.
///
/// Written by the thread reading the connection, read by the engine's timer, with atomics only: a message
/// that arrives whole touches none of this, and one that arrives in pieces costs one deadline per frame
/// timeout, not one per read.
///
/// # Thread safety
/// Atomics. `since` is stored before the flag is taken, and the timer clears the flag before it reads the
/// time, so the timer either sees a partial frame or leaves the flag for the reader to take.
final class PartialFrameClock: Sendable {
    /// Monotonic ns; 0 while the decoder holds no partial frame.
    private let since = Atomic<Int64>(0)
    private let deadlineQueued = Atomic<Bool>(false)

    /// After a read: starts the clock for a partial frame left over (unless the same one was waiting already,
    /// no whole frame having come since), or stops it. True when the caller must queue a deadline.
    func track(partial: Bool, decodedAny: Bool, now: () -> Int64) -> Int64? {
        let started = since.load(ordering: .relaxed)
        guard partial else {
            if started != 0 { since.store(0, ordering: .releasing) }
            return nil
        }
        guard started == 0 || decodedAny else { return nil }
        let time = now()
        since.store(time, ordering: .sequentiallyConsistent)
        guard
            deadlineQueued.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        else { return nil }
        return time
    }

    /// For the timer, when the deadline comes: the time the partial frame now waiting began, with the flag
    /// kept for the caller to queue again; nil when no frame is partial (the flag is then free).
    func takeDeadline() -> Int64? {
        deadlineQueued.store(false, ordering: .sequentiallyConsistent)
        let started = since.load(ordering: .sequentiallyConsistent)
        guard started != 0,
            deadlineQueued.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        else { return nil }
        return started
    }
}

// SPDX-License-Identifier: MIT
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

    /// A copy of every counter.
    struct Snapshot: Equatable {
        var messages = 0, messagesLogged = 0, bytesIn = 0, bytesOut = 0, connects = 0, disconnects = 0
        var opensAllowed = 0, opensBlocked = 0, opensUndecided = 0, opensLogged = 0

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
                opensLogged: lhs.opensLogged - rhs.opensLogged
            )
        }
    }

    var snapshot: Snapshot {
        Snapshot(
            messages: messages.load(ordering: .relaxed),
            messagesLogged: messagesLogged.load(ordering: .relaxed),
            bytesIn: bytesIn.load(ordering: .relaxed),
            bytesOut: bytesOut.load(ordering: .relaxed),
            connects: connects.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed),
            opensAllowed: opensAllowed.load(ordering: .relaxed),
            opensBlocked: opensBlocked.load(ordering: .relaxed),
            opensUndecided: opensUndecided.load(ordering: .relaxed),
            opensLogged: opensLogged.load(ordering: .relaxed)
        )
    }
}

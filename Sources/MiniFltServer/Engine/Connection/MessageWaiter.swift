// SPDX-License-Identifier: MIT
import MiniFltPosix
import MiniFltWire
import Synchronization

/// One `FltSendMessage` waiting for its reply: a thread blocked until the outcome comes, or a completion to
/// call with it.
///
/// Whoever takes the waiter out of its connection's table (under the connection's lock) settles it: the reply,
/// the timeout or the close, whichever comes first, and only that one. A completion is called after that lock
/// is let go.
///
/// # Thread safety
/// `settled` makes the first outcome the only one. A blocked sender's outcome lives in a `ConditionLock` it
/// waits on; a completion needs none, so an asynchronous send (one per watched open) allocates no lock.
final class MessageWaiter: Sendable {
    /// What a sender gets: the result and the descriptors that came with the REPLY (docs/protocol.md
    /// section 12), which are the sender's from then on.
    typealias Outcome = (result: FilterMessageResult, descriptors: PassedDescriptors?)

    /// A completion's call with the outcome, made once the connection's lock is let go. It returns whether
    /// the sender took the outcome (``ClientPort/sendAcceptingReply(_:descriptors:replyCapacity:timeout:accept:)``).
    struct Notification: Sendable {
        fileprivate let completion: @Sendable (FilterMessageResult, PassedDescriptors?) -> Bool
        fileprivate let outcome: Outcome

        func callAsFunction() -> Bool { completion(outcome.result, outcome.descriptors) }
    }

    private enum Receiver: Sendable {
        /// A thread blocked in ``wait(until:)``.
        case thread(ConditionLock<Outcome?>)
        /// Called once with the outcome.
        case completion(@Sendable (FilterMessageResult, PassedDescriptors?) -> Bool)
    }

    let capacity: Int
    private let receiver: Receiver
    private let settled = Atomic<Bool>(false)

    /// A waiter for a sender that blocks in ``wait(until:)``.
    init(capacity: Int) {
        self.capacity = capacity
        receiver = .thread(ConditionLock(nil))
    }

    /// A waiter that calls `completion` with the outcome instead.
    init(capacity: Int, completion: @escaping @Sendable (FilterMessageResult, PassedDescriptors?) -> Bool) {
        self.capacity = capacity
        receiver = .completion(completion)
    }

    /// Sets the outcome unless one is set already, and wakes a blocked sender: called with the connection's
    /// lock held, so that a sender that times out sees a reply taken just before. Returns the completion call
    /// to make once that lock is let go (the completion is the filter's code), or nil.
    /// `descriptors` came with the reply: they are the sender's from here, or closed when this is not the
    /// first outcome.
    func settle(_ result: FilterMessageResult, descriptors: PassedDescriptors? = nil) -> Notification? {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        switch receiver {
        case .thread(let outcome):
            outcome.withLock { $0 = (result, descriptors) }
            outcome.broadcast()
            return nil
        case .completion(let completion):
            return Notification(completion: completion, outcome: (result, descriptors))
        }
    }

    /// For a blocked sender: the outcome, once it comes; nil when monotonic `deadline` passes first.
    func wait(until deadline: Int64?) -> Outcome? {
        guard case .thread(let outcome) = receiver else { return nil }
        return outcome.wait(until: deadline) { $0 }
    }

    /// For a blocked sender: the outcome now, if it came.
    var outcome: Outcome? {
        guard case .thread(let outcome) = receiver else { return nil }
        return outcome.withLock { $0 }
    }
}

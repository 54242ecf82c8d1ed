// SPDX-License-Identifier: MIT
import MiniFltPosix
import MiniFltWire
import Synchronization

/// One `FltSendMessage` waiting for its reply: a thread blocked on `outcome`, or a completion to call.
///
/// Whoever takes the waiter out of its connection's table (under the connection's lock) settles it: the reply,
/// the timeout or the close, whichever comes first, and only that one. A completion is called after that lock
/// is let go.
///
/// # Thread safety
/// The outcome lives in a `ConditionLock`; the sender waits on it, the I/O thread completes it.
final class MessageWaiter: Sendable {
    let capacity: Int
    let outcome = ConditionLock<FilterMessageResult?>(nil)
    /// The descriptors that came with the REPLY (docs/protocol.md section 12), set with the outcome.
    let replyDescriptors = Mutex<PassedDescriptors?>(nil)
    /// Called once with the outcome, for ``ClientPort/send(_:descriptors:replyCapacity:timeout:completion:)``:
    /// it returns whether the sender took it (``ClientPort/sendAcceptingReply(_:descriptors:replyCapacity:timeout:accept:)``).
    private let completion: (@Sendable (FilterMessageResult, PassedDescriptors?) -> Bool)?

    init(capacity: Int, completion: (@Sendable (FilterMessageResult, PassedDescriptors?) -> Bool)? = nil) {
        self.capacity = capacity
        self.completion = completion
    }

    /// Sets the outcome unless one is set already and wakes a blocked sender: called with the connection's
    /// lock held, so that a sender that times out sees a reply taken just before. Returns the completion call
    /// to make once that lock is let go (the completion is the filter's code), or nil; the call returns
    /// whether the sender took the outcome (a blocked sender always does).
    /// `descriptors` came with the reply: they are the sender's from here, or closed when this is not the
    /// first outcome.
    func settle(_ result: FilterMessageResult, descriptors: PassedDescriptors? = nil) -> (@Sendable () -> Bool)? {
        let first = outcome.withLock { outcome in
            guard outcome == nil else { return false }
            replyDescriptors.withLock { $0 = descriptors }
            outcome = result
            return true
        }
        guard first else { return nil }
        outcome.broadcast()
        guard let completion else { return nil }
        return { completion(result, descriptors) }
    }
}

// SPDX-License-Identifier: MIT
import MiniFltPosix

/// One `FltSendMessage` waiting for its reply.
///
/// # Thread safety
/// The outcome lives in a `ConditionLock`; the sender waits on it, the I/O thread completes it.
final class MessageWaiter: Sendable {
    let capacity: Int
    let outcome = ConditionLock<FilterMessageResult?>(nil)

    init(capacity: Int) {
        self.capacity = capacity
    }

    func complete(_ result: FilterMessageResult) {
        outcome.withLock { if $0 == nil { $0 = result } }
        outcome.broadcast()
    }
}

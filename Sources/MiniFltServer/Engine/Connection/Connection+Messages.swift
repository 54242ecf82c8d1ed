// SPDX-License-Identifier: MIT
import MiniFltPosix
import MiniFltWire
import Synchronization

/// FltSendMessage on one connection: MESSAGE out, REPLY in, matched by message id (docs/protocol.md section 5).
extension Connection {
    /// Sends a MESSAGE and, when `replyCapacity` is above 0, waits for the client's REPLY.
    ///
    /// Called from a routine, the wait holds the loop thread; the standby thread then reads the reply after
    /// its watchdog interval (50 ms). Call it from another thread where latency matters.
    ///
    /// `descriptors` go with the MESSAGE when the client asked for descriptors, and are closed here either way
    /// (docs/protocol.md section 12); the reply's descriptors come back with the result.
    func sendMessage(
        _ message: [UInt8],
        descriptors: PassedDescriptors?,
        replyCapacity: Int,
        timeout: Duration?
    ) -> (FilterMessageResult, PassedDescriptors?) {
        let waiter = replyCapacity > 0 ? MessageWaiter(capacity: replyCapacity) : nil
        guard let id = post(message, descriptors: descriptors, replyCapacity: replyCapacity, waiter: waiter) else {
            return (.portDisconnected, nil)
        }
        guard let waiter else { return (.delivered, nil) }
        let deadline = timeout.map { MonotonicClock.now + $0.nanoseconds }
        if let outcome = waiter.wait(until: deadline) { return outcome }
        // Timed out: from now on a reply to this id has no waiter (0xC01C0020) unless it won the race.
        state.withLock { _ = $0.waiters.removeValue(forKey: id) }
        return waiter.outcome ?? (.timedOut, nil)
    }

    /// Sends a MESSAGE without waiting: `accept` gets the outcome once, from the thread that learns it, and
    /// says whether the sender took it: a reply it refuses gets 0xC01C0020 (``handleReply(id:status:body:descriptors:)``).
    func sendMessage(
        _ message: [UInt8],
        descriptors: PassedDescriptors?,
        replyCapacity: Int,
        timeout: Duration?,
        accept: @escaping @Sendable (FilterMessageResult, PassedDescriptors?) -> Bool
    ) {
        guard replyCapacity > 0 else {
            let id = post(message, descriptors: descriptors, replyCapacity: 0, waiter: nil)
            _ = accept(id == nil ? .portDisconnected : .delivered, nil)
            return
        }
        let waiter = MessageWaiter(capacity: replyCapacity, completion: accept)
        guard let id = post(message, descriptors: descriptors, replyCapacity: replyCapacity, waiter: waiter) else {
            _ = accept(.portDisconnected, nil)
            return
        }
        if let timeout {
            host.watchMessageDeadline(self, messageID: id, deadline: MonotonicInstant.now.advanced(by: timeout))
        }
    }

    /// Writes the MESSAGE and files its waiter; nil when the client is not (or no longer) connected.
    private func post(
        _ message: [UInt8],
        descriptors: PassedDescriptors?,
        replyCapacity: Int,
        waiter: MessageWaiter?
    ) -> UInt64? {
        var problem: OutputProblem?
        // A client that did not opt in never receives one; the descriptors then close with the last reference.
        let attached =
            descriptors.flatMap { $0.count > 0 ? $0 : nil }.flatMap {
                sendsDescriptors.load(ordering: .acquiring) ? $0 : nil
            }
        let id = state.withLock { state -> UInt64? in
            guard state.life.acceptsOutput, state.life.isConnected else { return nil }
            let id = state.nextMessageID
            state.nextMessageID += 1
            if let waiter { state.waiters[id] = waiter }
            let frame = Frame.message(id: id, replyCapacity: UInt32(replyCapacity), body: message)
            problem = writeLocked(
                &state,
                frame.encoded(descriptorCount: attached?.count ?? 0),
                descriptors: attached
            )
            return id
        }
        report(problem)
        return id
    }

    /// The engine's timer found the deadline of message `id` passed: its sender learns of the timeout, unless
    /// the reply (or the close) came first.
    func messageDeadlinePassed(_ id: UInt64) {
        let notify = state.withLock { $0.waiters.removeValue(forKey: id)?.settle(.timedOut) }
        _ = notify?()
    }

    /// A REPLY from the client: completes its waiter, or says why not.
    /// Its `descriptors` go to the sender; without one (or with a refused reply) they close here.
    /// The completion runs before REPLY_RESULT is written, and a sender that no longer wanted the reply
    /// (its completion returned false) makes it 0xC01C0020, as if nobody waited: a client told success
    /// knows its reply was used (docs/protocol.md section 5).
    func handleReply(id: UInt64, status: NTStatus, body: [UInt8], descriptors: PassedDescriptors?) {
        var notify: MessageWaiter.Notification?
        var result = state.withLock { state -> NTStatus in
            guard let waiter = state.waiters[id] else { return .fltNoWaiterForReply }
            // Longer than the ReplyLength the client was given: refused; the sender keeps waiting.
            guard body.count <= waiter.capacity else { return .bufferOverflow }
            state.waiters[id] = nil
            notify = waiter.settle(.replied(status: status, reply: body), descriptors: descriptors)
            return .success
        }
        if let notify, !notify() { result = .fltNoWaiterForReply }
        write(.replyResult(id: id, status: result))
    }

    /// Every sender still waiting learns that the client is gone; returns the completions to call once the
    /// caller let go of the lock.
    func failWaitersLocked(_ state: inout State) -> [@Sendable () -> Void] {
        defer { state.waiters = [:] }
        return state.waiters.values.compactMap { waiter -> (@Sendable () -> Void)? in
            guard let notify = waiter.settle(.portDisconnected) else { return nil }
            return { _ = notify() }
        }
    }
}

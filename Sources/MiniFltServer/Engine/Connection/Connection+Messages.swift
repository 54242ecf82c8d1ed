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
    func sendMessage(_ message: [UInt8], replyCapacity: Int, timeout: Duration?) -> FilterMessageResult {
        let waiter = replyCapacity > 0 ? MessageWaiter(capacity: replyCapacity) : nil
        var overflowed = false
        let id = state.withLock { state -> UInt64? in
            guard state.life.acceptsOutput, state.life.isConnected else { return nil }
            let id = state.nextMessageID
            state.nextMessageID += 1
            if let waiter { state.waiters[id] = waiter }
            let frame = Frame.message(id: id, replyCapacity: UInt32(replyCapacity), body: message).encoded()
            overflowed = writeLocked(&state, frame)
            return id
        }
        if overflowed { logOutputLimit() }
        guard let id else { return .portDisconnected }
        guard let waiter else { return .delivered }
        let deadline = timeout.map { MonotonicClock.now + $0.nanoseconds }
        if let result = waiter.outcome.wait(until: deadline, { $0 }) { return result }
        // Timed out: from now on a reply to this id has no waiter (0xC01C0020) unless it won the race.
        state.withLock { _ = $0.waiters.removeValue(forKey: id) }
        return waiter.outcome.withLock { $0 } ?? .timedOut
    }

    /// A REPLY from the client: completes its waiter, or says why not.
    func handleReply(id: UInt64, status: NTStatus, body: [UInt8]) {
        let result = state.withLock { state -> NTStatus in
            guard let waiter = state.waiters[id] else { return .fltNoWaiterForReply }
            // Longer than the ReplyLength the client was given: refused; the sender keeps waiting.
            guard body.count <= waiter.capacity else { return .bufferOverflow }
            state.waiters[id] = nil
            waiter.complete(.replied(status: status, reply: body))
            return .success
        }
        write(.replyResult(id: id, status: result))
    }

    /// Every sender still waiting learns that the client is gone.
    func failWaitersLocked(_ state: inout State) {
        for waiter in state.waiters.values { waiter.complete(.portDisconnected) }
        state.waiters = [:]
    }
}

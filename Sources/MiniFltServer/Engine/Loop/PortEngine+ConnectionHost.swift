// SPDX-License-Identifier: MIT
import Logging
import MiniFltPosix
import Synchronization

/// What connections ask of the engine: their handshake place, their deadlines, their write registrations and
/// their slot. The only way a connection reaches the engine.
extension PortEngine: ConnectionHost {
    func handshakeFinished(_ connection: Connection) {
        state.withLock { _ = $0.handshakes.remove(connection.id) }
    }

    func watchPartialFrame(_ connection: Connection, since: MonotonicInstant) {
        state.withLock { watchPartialFrameLocked(&$0, connection.id, deadline: since.advanced(by: frameTimeout)) }
    }

    func watchMessageDeadline(_ connection: Connection, messageID: UInt64, deadline: MonotonicInstant) {
        state.withLock { watchMessageDeadlineLocked(&$0, connection.id, messageID, deadline: deadline) }
    }

    func watchWritable(_ connection: Connection, descriptor: Int32) throws(SystemError) {
        try epoll.add(descriptor, events: .writable, token: EpollToken.write(connection: connection.id).rawValue)
    }

    func rearmWritable(_ connection: Connection, descriptor: Int32) {
        try? epoll.rearm(descriptor, events: .writable, token: EpollToken.write(connection: connection.id).rawValue)
    }

    func forget(_ descriptor: Int32) {
        epoll.remove(descriptor)
    }

    /// Notes a read or write of ``Connection/largeBufferBytes`` or more, or the end of a connection that made
    /// one: once none has come for the return delay, the timer gives freed memory back to the kernel. Not
    /// called for smaller messages, whose path stays as it was.
    func noteLargeBuffer() {
        guard let delay = freedMemoryReturnDelay else { return }
        let now = MonotonicClock.now
        state.withLock { state in
            state.lastLargeBuffer = now
            guard state.freedMemoryCheck == nil else { return }
            state.freedMemoryCheck = now + delay
            scheduleTimerLocked(&state, at: now + delay)
        }
    }

    func freeSlot(_ connection: Connection, wasConnected: Bool) {
        state.withLock { state in
            guard state.connections.removeValue(forKey: connection.id) != nil else { return }
            if wasConnected { statistics.recordDisconnected() }
            compactFrameDeadlinesLocked(&state)
        }
        state.broadcast()
        // Its buffers go with it, possibly after the check that followed its last large read.
        if connection.movedLargeBuffers.load(ordering: .relaxed) { noteLargeBuffer() }
    }
}

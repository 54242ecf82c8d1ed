// SPDX-License-Identifier: MIT
import HeapModule
import Logging
import MiniFltPosix
import MiniFltWire

/// When a connection's partial frame must be complete.
struct FrameDeadline: Comparable {
    var deadline: Int64
    var id: UInt64
    static func < (a: FrameDeadline, b: FrameDeadline) -> Bool { a.deadline < b.deadline }
}

/// When the reply to an asynchronous FltSendMessage is late.
struct MessageDeadline: Comparable {
    var deadline: Int64
    var connection: UInt64
    var message: UInt64
    static func < (a: MessageDeadline, b: MessageDeadline) -> Bool { a.deadline < b.deadline }
}

/// The port's one timer and what it watches: handshake deadlines, partial-frame deadlines, reply deadlines,
/// the listener's back-off and the freed-memory check. Whether a deadline closes a connection is the connection's life
/// cycle's to say (``ConnectionLifeCycle``); this file only finds the deadlines that came.
extension PortEngine {
    func scheduleTimerLocked(_ state: inout State, at deadline: Int64) {
        if let armed = state.timerArmedFor, armed <= deadline { return }
        state.timerArmedFor = deadline
        timer.arm(afterNanoseconds: deadline - MonotonicClock.now)
    }

    /// Watches the partial frame that `connection` began receiving at `since`: the rest must come within the
    /// frame timeout. The caller won the connection's deadline flag (``PartialFrameClock``).
    func watchPartialFrameLocked(_ state: inout State, _ id: UInt64, deadline: MonotonicInstant) {
        state.frameDeadlines.insert(FrameDeadline(deadline: deadline.nanoseconds, id: id))
        scheduleTimerLocked(&state, at: deadline.nanoseconds)
    }

    /// Watches the reply to message `message` of connection `id`.
    func watchMessageDeadlineLocked(_ state: inout State, _ id: UInt64, _ message: UInt64, deadline: MonotonicInstant) {
        state.messageDeadlines.insert(MessageDeadline(deadline: deadline.nanoseconds, connection: id, message: message))
        scheduleTimerLocked(&state, at: deadline.nanoseconds)
    }

    /// At a freed-memory check: true when large buffers have stopped coming; else the check moves on.
    private func freedMemoryDueLocked(_ state: inout State, now: Int64) -> Bool {
        guard let delay = freedMemoryReturnDelay, let check = state.freedMemoryCheck, check <= now else { return false }
        if now - state.lastLargeBuffer >= delay {
            state.freedMemoryCheck = nil
            return true
        }
        state.freedMemoryCheck = state.lastLargeBuffer + delay
        return false
    }

    func handleTimer() {
        timer.drain()
        let now = MonotonicInstant.now
        var lateReplies: [(Connection, message: UInt64)] = []
        let (expired, partial, returnFreedMemory) = state.withLock {
            state -> ([Connection], [(Connection, since: Int64)], Bool) in
            state.timerArmedFor = nil
            let returnFreedMemory = freedMemoryDueLocked(&state, now: now.nanoseconds)
            let expired = state.handshakes.removeExpired(asOf: now.nanoseconds).compactMap { state.connections[$0] }
            var partial: [(Connection, since: Int64)] = []
            while let first = state.frameDeadlines.min, first.deadline <= now.nanoseconds {
                state.frameDeadlines.removeMin()
                guard let connection = state.connections[first.id] else { continue }
                // Frames completed meanwhile: watch the partial frame waiting now, if any.
                guard let since = connection.partialFrame.takeDeadline() else { continue }
                partial.append((connection, since))
            }
            while let first = state.messageDeadlines.min, first.deadline <= now.nanoseconds {
                state.messageDeadlines.removeMin()
                if let connection = state.connections[first.connection] {
                    lateReplies.append((connection, first.message))
                }
            }
            if case .backingOff(let until) = state.listener {
                if until <= now.nanoseconds {
                    state.listener = .armed
                    try? epoll.rearm(listenDescriptor, events: .readable, token: EpollToken.listener.rawValue)
                } else {
                    scheduleTimerLocked(&state, at: until)
                }
            }
            if let next = state.handshakes.nextDeadline() { scheduleTimerLocked(&state, at: next) }
            if let next = state.frameDeadlines.min { scheduleTimerLocked(&state, at: next.deadline) }
            if let next = state.freedMemoryCheck { scheduleTimerLocked(&state, at: next) }
            if let next = state.messageDeadlines.min { scheduleTimerLocked(&state, at: next.deadline) }
            return (expired, partial, returnFreedMemory)
        }
        if returnFreedMemory {
            let start = MonotonicClock.now
            MallocTuning.returnFreedMemory()
            logger.debug(
                "large messages stopped: gave freed memory back to the kernel in \((MonotonicClock.now - start) / 1000) us"
            )
        }
        for connection in expired where connection.handshakeDeadlinePassed(now: now) {
            logger.event(
                .notice,
                .handshakeTimeout,
                "no CONNECT within the handshake timeout of \(configuration.handshakeTimeout); disconnecting",
                peer: connection.peer,
                status: .ioTimeout
            )
        }
        for (connection, message) in lateReplies { connection.messageDeadlinePassed(message) }
        for (connection, since) in partial {
            // The partial frame waiting now may be younger than the one the deadline was for: its own.
            if let later = connection.frameDeadlinePassed(
                since: MonotonicInstant(nanoseconds: since),
                now: now,
                frameTimeout: frameTimeout
            ) {
                state.withLock { watchPartialFrameLocked(&$0, connection.id, deadline: later) }
            }
        }
    }

    /// Drops the frame deadlines of closed connections once they outnumber the open ones: with a long frame
    /// timeout they would otherwise pile up under churn for as long as the timeout. Reply deadlines of closed
    /// connections go the same way.
    func compactFrameDeadlinesLocked(_ state: inout State) {
        let connections = state.connections
        if state.frameDeadlines.count > 2 * connections.count + 32 {
            state.frameDeadlines = Heap(state.frameDeadlines.unordered.filter { connections[$0.id] != nil })
        }
        if state.messageDeadlines.count > 2 * connections.count + 32 {
            state.messageDeadlines = Heap(
                state.messageDeadlines.unordered.filter { connections[$0.connection] != nil }
            )
        }
    }

    /// Deadline entries held (handshakes, partial frames), live or stale: what the deadlines cost, for tests.
    var storedDeadlineCount: (handshakes: Int, frames: Int) {
        state.withLock { ($0.handshakes.storedEntryCount, $0.frameDeadlines.count) }
    }
}

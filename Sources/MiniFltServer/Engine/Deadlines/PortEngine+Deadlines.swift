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

/// The port's one timer and the deadlines it keeps: handshakes, partial frames, replies and the freed-memory
/// check (the listener's back-off is admission's, which arms the timer too). Whether a deadline closes a
/// connection is its life cycle's to say (``ConnectionLifeCycle``); this file only keeps them and hands over
/// those that came (``takeDueDeadlinesLocked(_:now:)``) for the loop to act on.
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

    /// The deadlines that came by `now`, taken out; the timer is armed again for the next one left.
    struct DueDeadlines {
        /// Connections whose handshake deadline came.
        var handshakes: [Connection] = []
        /// Connections with a partial frame whose deadline came, and when the partial frame waiting now began.
        var partialFrames: [(Connection, since: Int64)] = []
        /// Messages whose reply is late.
        var replies: [(Connection, message: UInt64)] = []
        /// Large buffers stopped coming: freed memory may go back.
        var returnFreedMemory = false
    }

    func takeDueDeadlinesLocked(_ state: inout State, now: MonotonicInstant) -> DueDeadlines {
        var due = DueDeadlines()
        state.timerArmedFor = nil
        due.returnFreedMemory = freedMemoryDueLocked(&state, now: now.nanoseconds)
        due.handshakes = state.handshakes.removeExpired(asOf: now.nanoseconds).compactMap { state.connections[$0] }
        while let first = state.frameDeadlines.min, first.deadline <= now.nanoseconds {
            state.frameDeadlines.removeMin()
            guard let connection = state.connections[first.id] else { continue }
            // Frames completed meanwhile: watch the partial frame waiting now, if any.
            guard let since = connection.partialFrame.takeDeadline() else { continue }
            due.partialFrames.append((connection, since))
        }
        while let first = state.messageDeadlines.min, first.deadline <= now.nanoseconds {
            state.messageDeadlines.removeMin()
            if let connection = state.connections[first.connection] { due.replies.append((connection, first.message)) }
        }
        if let next = state.handshakes.nextDeadline() { scheduleTimerLocked(&state, at: next) }
        if let next = state.frameDeadlines.min { scheduleTimerLocked(&state, at: next.deadline) }
        if let next = state.freedMemoryCheck { scheduleTimerLocked(&state, at: next) }
        if let next = state.messageDeadlines.min { scheduleTimerLocked(&state, at: next.deadline) }
        return due
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

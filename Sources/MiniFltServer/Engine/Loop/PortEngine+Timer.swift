// SPDX-License-Identifier: MIT
import Logging
import MiniFltPosix
import MiniFltWire
import Synchronization

/// The timer's event: the loop takes the deadlines that came (`Deadlines/`), lets admission resume after a
/// back-off (`Admission/`), and tells each connection concerned, whose life cycle decides what follows.
extension PortEngine {
    func handleTimer() {
        timer.drain()
        let now = MonotonicInstant.now
        let due = state.withLock { state in
            // First: it forgets the expiry that brought us here, so that what follows can arm the timer again.
            let due = takeDueDeadlinesLocked(&state, now: now)
            resumeListenerIfDueLocked(&state, now: now)
            return due
        }
        if due.returnFreedMemory {
            let start = MonotonicClock.now
            MallocTuning.returnFreedMemory()
            logger.debug(
                "large messages stopped: gave freed memory back to the kernel in \((MonotonicClock.now - start) / 1000) us"
            )
        }
        for connection in due.handshakes where connection.handshakeDeadlinePassed(now: now) {
            logger.event(
                .notice,
                .handshakeTimeout,
                "no CONNECT within the handshake timeout of \(configuration.handshakeTimeout); disconnecting",
                peer: connection.peer,
                status: .ioTimeout
            )
        }
        for (connection, message) in due.replies { connection.messageDeadlinePassed(message) }
        for (connection, since) in due.partialFrames {
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
}

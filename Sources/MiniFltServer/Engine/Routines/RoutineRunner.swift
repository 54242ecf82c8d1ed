// SPDX-License-Identifier: MIT
import DequeModule
import MiniFltPosix
import MiniFltWire
import Synchronization

/// Runs routine work items in arrival order, one at a time, on whichever event-loop thread is free.
///
/// A loop thread that queued work calls ``drain()`` after its I/O pass: if no thread is draining, it becomes
/// the drainer and runs items (each inside `routineQueue.sync`, which on an idle queue runs on the calling
/// thread) until the FIFO is empty. Otherwise it returns at once and the drainer picks the item up. The
/// ``RoutineWatchdog`` sees each routine start and end, so a routine that runs long holds one thread while
/// the standby thread keeps accepting, refusing, timing out handshakes and noticing disconnects.
///
/// Compared with handing every message to a dedicated routine thread, this costs no thread switch on the
/// common path: the thread that read a SEND runs its routine and writes the result itself.
///
/// # Thread safety
/// The FIFO and drainer count live in one lock.
final class RoutineRunner: Sendable {
    /// The work for one routine call.
    enum WorkItem: Sendable {
        case connect(Connection, ConnectRequest)
        case message(Connection, id: UInt64, outputCapacity: UInt32, input: [UInt8])
        case disconnect(Connection)
    }

    private struct State {
        var items: Deque<WorkItem> = []
        var drainers = 0
    }

    private let state = StateLock(State())
    let watchdog: RoutineWatchdog

    init(watchdog: RoutineWatchdog) {
        self.watchdog = watchdog
    }

    /// Queues `item`. The caller must call ``drain()`` afterwards (after its I/O batch): the drainer may be
    /// finishing, and only a later `drain` is sure to see the item.
    func submit(_ item: WorkItem) {
        state.withLock { $0.items.append(item) }
    }

    /// Becomes a drainer if one is allowed and runs queued items until none is left.
    func drain() {
        var next = state.withLock { state -> WorkItem? in
            guard state.drainers == 0, let item = state.items.popFirst() else { return nil }
            state.drainers = 1
            return item
        }
        while let item = next {
            defer {
                next = state.withLock { state in
                    if let item = state.items.popFirst() { return item }
                    state.drainers = 0
                    return nil
                }
            }
            watchdog.enter()
            defer { watchdog.leave() }
            switch item {
            case .connect(let connection, let request): connection.runConnectRoutine(request)
            case .message(let connection, let id, let capacity, let input):
                connection.runMessageRoutine(id: id, outputCapacity: capacity, input: input)
            case .disconnect(let connection): connection.runDisconnectRoutine()
            }
        }
    }
}

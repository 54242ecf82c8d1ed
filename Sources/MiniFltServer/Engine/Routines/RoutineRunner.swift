// SPDX-License-Identifier: MIT
import DequeModule
import MiniFltPosix
import MiniFltWire
import Synchronization

/// Runs routine work items in arrival order, one at a time, on whichever event-loop thread is free.
///
/// Each loop thread has a ``Lane``. A thread that queues work while no other thread drains becomes the
/// drainer, and keeps its items in its lane, with no lock; after its I/O pass it runs them (each inside
/// `routineQueue.sync`, which on an idle queue runs on the calling thread). A thread that queues work while
/// another drains puts it in the shared FIFO, which the drainer empties before it lets go. So the common path
/// (one thread reads a SEND, runs its routine and writes the result) takes no lock here and no thread switch.
///
/// Order: a connection's items are queued by the thread that reads it, and only one thread reads a connection
/// at a time (``Connection``). A lane takes an item only while the FIFO is empty, and the drainer runs its
/// lane before the FIFO, so whatever the FIFO holds came after what the lane holds. The drainer is chosen
/// (an atomic exchange) while the queueing thread still reads the connection, so a later reader of the same
/// connection cannot run its items first.
///
/// The ``RoutineWatchdog`` sees each routine start and end, so a routine that runs long holds one thread while
/// the standby thread keeps accepting, refusing, timing out handshakes and noticing disconnects.
///
/// # Thread safety
/// The FIFO lives in one lock; `queued` counts it and `draining` says whether a thread drains. A lane is used
/// only by its thread.
final class RoutineRunner: Sendable {
    /// One loop thread's items and whether it is the drainer.
    ///
    /// # Thread safety
    /// Used only by the thread that owns it.
    final class Lane {
        fileprivate var items: [RoutineWork] = []
        fileprivate var next = 0
        fileprivate var isDrainer = false

        init() {
            items.reserveCapacity(16)
        }
    }

    private let fifo = StateLock(Deque<RoutineWork>())
    private let queued = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    let watchdog: RoutineWatchdog

    init(watchdog: RoutineWatchdog) {
        self.watchdog = watchdog
    }

    /// Queues `item` from the thread that owns `lane`. That thread must call ``drain(_:)`` after its I/O
    /// batch (or, inside a routine, it is draining already).
    func submit(_ item: RoutineWork, on lane: Lane) {
        if queued.load(ordering: .acquiring) == 0 {
            if lane.isDrainer || !draining.exchange(true, ordering: .acquiringAndReleasing) {
                lane.isDrainer = true
                lane.items.append(item)
                return
            }
        }
        fifo.withLock { $0.append(item) }
        queued.add(1, ordering: .sequentiallyConsistent)
    }

    /// Runs the lane's items, then the FIFO's, if this thread is (or can become) the drainer.
    func drain(_ lane: Lane) {
        if !lane.isDrainer {
            guard queued.load(ordering: .sequentiallyConsistent) > 0,
                !draining.exchange(true, ordering: .sequentiallyConsistent)
            else { return }
            lane.isDrainer = true
        }
        while true {
            while let item = nextItem(lane) { run(item, on: lane) }
            lane.isDrainer = false
            draining.store(false, ordering: .sequentiallyConsistent)
            // An item queued in the FIFO after the last look, while this thread still drained, waits for a
            // drainer: look again.
            guard queued.load(ordering: .sequentiallyConsistent) > 0,
                !draining.exchange(true, ordering: .sequentiallyConsistent)
            else { return }
            lane.isDrainer = true
        }
    }

    private func nextItem(_ lane: Lane) -> RoutineWork? {
        if lane.next < lane.items.count {
            defer { lane.next += 1 }
            return lane.items[lane.next]
        }
        if !lane.items.isEmpty {
            lane.items.removeAll(keepingCapacity: true)
            lane.next = 0
        }
        guard queued.load(ordering: .acquiring) > 0 else { return nil }
        let item = fifo.withLock { $0.popFirst() }
        if item != nil { queued.subtract(1, ordering: .releasing) }
        return item
    }

    private func run(_ item: RoutineWork, on lane: Lane) {
        watchdog.enter()
        defer { watchdog.leave() }
        switch item {
        case .connect(let target, let request): target.runConnectRoutine(request, lane: lane)
        case .message(let target, let send, let cookie): target.runMessageRoutine(send, cookie: cookie, lane: lane)
        case .disconnect(let target, let cookie): target.runDisconnectRoutine(cookie: cookie)
        }
    }
}

// SPDX-License-Identifier: MIT
package import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// An epoll instance shared by the event loop's threads. One-shot registrations send an event to exactly one
/// thread and stay quiet until re-armed; edge-triggered ones need no re-arming.
package struct Epoll: Sendable {
    package struct Events: OptionSet, Sendable {
        package var rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }
        package static let readable = Events(rawValue: UInt32(CMiniFltPosix_EPOLLIN))
        package static let writable = Events(rawValue: UInt32(CMiniFltPosix_EPOLLOUT))
        package static let error = Events(rawValue: UInt32(CMiniFltPosix_EPOLLERR))
        package static let hangUp = Events(rawValue: UInt32(CMiniFltPosix_EPOLLHUP))
        package static let readHangUp = Events(rawValue: UInt32(CMiniFltPosix_EPOLLRDHUP))
        static let oneShot = Events(rawValue: UInt32(CMiniFltPosix_EPOLLONESHOT))
        static let edgeTriggered = Events(rawValue: UInt32(truncatingIfNeeded: CMiniFltPosix_EPOLLET))
        /// The peer hung up or the descriptor failed. A constant, not an array literal at the call site: the
        /// literal went through the generic `SetAlgebra.init(_:)` across modules on every event.
        package static let closing = Events(rawValue: readHangUp.rawValue | hangUp.rawValue | error.rawValue)
    }

    package let fd: Int32

    package init() throws(SystemError) {
        fd = try syscall("epoll_create1") { CMiniFltPosix_epoll_create() }
    }

    /// Registers `descriptor`, armed once for `events`, with `token` as the event's data.
    package func add(_ descriptor: Int32, events: Events, token: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl(ADD)") {
            CMiniFltPosix_epoll_ctl(fd, 1, descriptor, events.union(.oneShot).rawValue, token)
        }
    }

    /// Re-arms `descriptor` once for `events`.
    package func rearm(_ descriptor: Int32, events: Events, token: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl(MOD)") {
            CMiniFltPosix_epoll_ctl(fd, 3, descriptor, events.union(.oneShot).rawValue, token)
        }
    }

    /// Takes `descriptor` out of the set. A failure is not reported: the descriptor is closed next, which
    /// takes it out anyway.
    package func remove(_ descriptor: Int32) {
        _ = injectable("epoll_ctl(DEL)") { CMiniFltPosix_epoll_ctl(fd, 2, descriptor, 0, 0) }
    }

    /// Waits for up to `events.count` events; returns how many were filled in.
    package func wait(
        into events: inout [CMiniFltPosix_EpollEvent],
        timeoutMilliseconds: Int32 = -1
    ) throws(SystemError) -> Int {
        let capacity = Int32(events.count)
        return Int(
            try syscall("epoll_wait") {
                events.withUnsafeMutableBufferPointer {
                    CMiniFltPosix_epoll_wait(fd, $0.baseAddress, capacity, timeoutMilliseconds)
                }
            }
        )
    }

    package func close() { closeDescriptor(fd) }
}

/// A non-blocking eventfd: a wake-up another thread can raise.
package struct EventFD: Sendable {
    package let fd: Int32
    package init() throws(SystemError) { fd = try syscall("eventfd") { CMiniFltPosix_eventfd() } }
    package func signal() {
        var one: UInt64 = 1
        // Fails only when the counter is full (EAGAIN): the waiter wakes up anyway.
        _ = injectable("write(eventfd)") { write(fd, &one, 8) }
    }
    package func drain() {
        var value: UInt64 = 0
        // EAGAIN when another thread drained it first: nothing to do.
        _ = injectable("read(eventfd)") { read(fd, &value, 8) }
    }
    package func close() { closeDescriptor(fd) }
}

/// A non-blocking CLOCK_MONOTONIC timerfd that fires once when armed.
package struct TimerFD: Sendable {
    package let fd: Int32
    package init() throws(SystemError) { fd = try syscall("timerfd_create") { CMiniFltPosix_timerfd() } }
    /// Fires after `nanoseconds` (at least 1 ns, so that a deadline already past fires at once).
    package func arm(afterNanoseconds nanoseconds: Int64) {
        _ = injectable("timerfd_settime") { CMiniFltPosix_timerfd_arm(fd, max(1, nanoseconds)) }
    }
    package func drain() {
        var value: UInt64 = 0
        // EAGAIN when it has not fired (or was drained): nothing to do.
        _ = injectable("read(timerfd)") { read(fd, &value, 8) }
    }
    package func close() { closeDescriptor(fd) }
}

extension Epoll {
    /// Registers `descriptor` edge-triggered: an event each time `events` become ready, never re-armed. Whoever
    /// handles it must read until a short read, and serialize handlers itself.
    package func addEdgeTriggered(_ descriptor: Int32, events: Events, token: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl(ADD)") {
            CMiniFltPosix_epoll_ctl(fd, 1, descriptor, events.union(.edgeTriggered).rawValue, token)
        }
    }

    /// Registers `descriptor` level-triggered (not one-shot): every waiting thread sees it while it is ready.
    /// For the stop eventfd and the timerfd, whose events any thread may handle.
    package func addLevelTriggered(_ descriptor: Int32, token: UInt64) throws(SystemError) {
        _ = try syscall("epoll_ctl(ADD)") {
            CMiniFltPosix_epoll_ctl(fd, 1, descriptor, Events.readable.rawValue, token)
        }
    }
}

// SPDX-License-Identifier: MIT
#if !THREAD_SANITIZER
package import Synchronization
#endif

#if canImport(Glibc)
// Package-visible because the inlinable withLock names pthread types.
package import Glibc
#endif

/// A mutex with a condition variable, guarding a value of type `State`.
///
/// `Synchronization.Mutex` has no condition variable; threads that block until a reply arrives need one.
///
/// # Thread safety
/// `state` is only touched with `mutex` held, which makes the class `@unchecked Sendable`.
package final class ConditionLock<State>: @unchecked Sendable {
    @usableFromInline let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    @usableFromInline let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    @usableFromInline var state: State

    package init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Runs `body` with the lock held. Inlinable, so that callers in other modules get it specialized for
    /// their `State` instead of going through generic metadata on every call.
    @inlinable
    package func withLock<R, E: Error>(_ body: (inout State) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Blocks until `ready` returns non-nil, re-checking after each wake-up; nil if `deadline` (monotonic
    /// nanoseconds) passes first. `ready` runs with the lock held.
    package func wait<R>(until deadline: Int64? = nil, _ ready: (inout State) -> R?) -> R? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = ready(&state) { return result }
            if let deadline {
                if MonotonicClock.now >= deadline { return nil }
                var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &time)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
    }

    /// Wakes every waiter so each re-checks its condition.
    package func broadcast() { pthread_cond_broadcast(condition) }

    /// Wakes one waiter: for a queue where any one waiter can take the new item.
    package func signal() { pthread_cond_signal(condition) }
}

/// CLOCK_MONOTONIC in nanoseconds.
package enum MonotonicClock {
    package static var now: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, as ``MonotonicClock`` counts them.
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

// StateLock is `Synchronization.Mutex`, except in ThreadSanitizer builds (`make sanitize` defines
// THREAD_SANITIZER), where it is a pthread mutex: the sanitizer cannot see `Mutex`'s futex-based locking, and
// reports every access that it guards as a race.
#if THREAD_SANITIZER
/// The lock for state that threads hold only briefly (a pthread mutex in this ThreadSanitizer build).
package typealias StateLock<Value> = ConditionLock<Value>
#else
/// The lock for state that threads hold only briefly.
package typealias StateLock<Value> = Mutex<Value>
#endif

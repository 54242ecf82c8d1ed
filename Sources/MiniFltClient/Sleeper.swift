// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// A thread blocked on a ``FilterPort``, with a wake-up of its own.
///
/// One wake-up per thread rather than one condition variable per port: with a shared one, every frame woke
/// every blocked thread and all but one went back to sleep (10 threads in FilterGetMessage made about 18
/// thread switches per message). A condition variable per kind of call would still wake every get for each
/// message, and it could not pick the one thread that takes over reading. With one each, the thread that
/// files a frame wakes only the call it is for, and hands the reader role to one sleeper (``WaitingCalls``).
///
/// The wake-up is a semaphore: a post that comes before the wait is kept, so the waker posts after it has
/// released the port's lock, and the woken thread does not run only to block on that lock.
///
/// # Thread safety
/// `asleep` and `holdsReaderRole` are only touched with the port's lock held (`FilterPort.shared`). The
/// semaphore is created under that lock before the thread first goes to sleep, and posted only by a thread
/// that took the sleeper off `WaitingCalls.sleepers` under it later. Hence `@unchecked Sendable`.
package class Sleeper: @unchecked Sendable {
    /// On `WaitingCalls.sleepers`: asleep or about to be, and owed exactly one post.
    package var asleep = false
    /// This thread reads the socket for every call (``WaitingCalls``); set by a reader that handed it over.
    package var holdsReaderRole = false
    /// Created when the thread first has to sleep: a lone caller reads for itself and never does.
    private var semaphore: UnsafeMutablePointer<sem_t>?

    package init() {}

    deinit {
        if let semaphore {
            sem_destroy(semaphore)
            semaphore.deallocate()
        }
    }

    /// Makes the wake-up ready before the sleeper goes on the list. Lock held.
    package func prepareToSleep() {
        guard semaphore == nil else { return }
        let created = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(created, 0, 0)
        semaphore = created
    }

    /// Blocks until ``wake()``, which may already have come. Lock not held.
    package func sleep() {
        guard let semaphore else { return }
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }

    /// Ends one ``sleep()``: called once per time the sleeper went on the list, after the waker took it off.
    /// Lock not held.
    package func wake() {
        guard let semaphore else { return }
        sem_post(semaphore)
    }
}

/// A blocked call that waits for a value: a message for FilterGetMessage, or the result of its SEND or REPLY.
package final class Waiter<Value>: Sleeper, @unchecked Sendable {
    /// Filed by the thread that read it, under the port's lock.
    package var value: Value?
}

// SPDX-License-Identifier: MIT
import MiniFltPosix
import Synchronization

/// Notices a routine that runs long, so that the standby thread can serve I/O meanwhile.
///
/// The loop thread marks each routine's start and end with atomic stores; the first routine after a quiet
/// spell arms a timerfd. When it fires, the standby thread looks: if the same routine is still running, it
/// takes over I/O until that routine returns; if routines are coming and going, it re-arms; if none ran,
/// it lets the timer lapse. So the common path makes no system call, an idle port has no wake-ups, and a busy
/// one has one every ``interval``.
///
/// # Thread safety
/// Atomics only. `enter` and `leave` are called by the thread running routines, `check` by the standby
/// thread. The arm flag is cleared before `inRoutine` is re-read (and set by `enter` after `inRoutine` is
/// stored), both sequentially consistent, so a routine that starts while the timer lapses is still watched.
final class RoutineWatchdog: Sendable {
    /// How long a routine may run before the standby thread serves I/O: 50 ms.
    static let interval: Int64 = 50_000_000

    let timer: TimerFD
    private let inRoutine = Atomic<Bool>(false)
    private let sequence = Atomic<UInt64>(0)
    private let armed = Atomic<Bool>(false)
    /// The sequence number seen at the last check; only the standby thread touches it.
    private let lastSeen = Atomic<UInt64>(0)

    init() throws(SystemError) {
        timer = try TimerFD()
    }

    /// Called before each routine.
    func enter() {
        sequence.add(1, ordering: .relaxed)
        inRoutine.store(true, ordering: .sequentiallyConsistent)
        if !armed.load(ordering: .sequentiallyConsistent),
            armed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        {
            timer.arm(afterNanoseconds: RoutineWatchdog.interval)
        }
    }

    /// Called after each routine.
    func leave() {
        inRoutine.store(false, ordering: .sequentiallyConsistent)
    }

    /// True while a routine runs.
    var isInRoutine: Bool { inRoutine.load(ordering: .sequentiallyConsistent) }

    /// The routine being run (or last run), to tell one long routine from many short ones.
    var currentRoutine: UInt64 { sequence.load(ordering: .relaxed) }

    /// On a timer expiry: returns the sequence number of a routine that has run for a whole interval, if any,
    /// and re-arms or lets the timer lapse.
    func check() -> UInt64? {
        timer.drain()
        let current = sequence.load(ordering: .relaxed)
        let previous = lastSeen.exchange(current, ordering: .relaxed)
        if isInRoutine {
            timer.arm(afterNanoseconds: RoutineWatchdog.interval)
            return current == previous ? current : nil
        }
        rest()
        return nil
    }

    /// Lets the timer lapse unless a routine started meanwhile.
    func rest() {
        armed.store(false, ordering: .sequentiallyConsistent)
        if isInRoutine,
            armed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        {
            timer.arm(afterNanoseconds: RoutineWatchdog.interval)
        }
    }
}

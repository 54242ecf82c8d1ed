// SPDX-License-Identifier: MIT
import MiniFltPosix
import Synchronization

/// How many log entries a port may write: a burst, then a steady rate (a token bucket), so that no load,
/// however heavy, floods the journal. What does not fit is counted, and the next entry that fits says how
/// many were left out, by event kind; the daemon's periodic summary still counts what they described.
///
/// # Thread safety
/// Shared by every copy of ``LineBudgetLogHandler``; its state is under one lock.
public final class LineBudget: Sendable {
    struct State {
        var tokens: Double
        var refilledAt: Int64
        /// Entries left out since the last report, by their `event` metadata value ("" for none).
        var withheld: [String: Int] = [:]
        var withheldTotal = 0
    }

    /// Entries that may pass at once.
    public let burst: Int
    /// Entries per second that may pass in the long run.
    public let perSecond: Int
    let clock: @Sendable () -> Int64
    private let state: StateLock<State>

    /// - Parameters:
    ///   - burst: entries that may pass at once (100 for minifltd).
    ///   - perSecond: the refill rate (10 for minifltd).
    ///   - clock: monotonic nanoseconds (CLOCK_MONOTONIC when nil).
    public init(burst: Int, perSecond: Int, clock: (@Sendable () -> Int64)? = nil) {
        let clock = clock ?? { MonotonicClock.now }
        self.burst = burst
        self.perSecond = perSecond
        self.clock = clock
        state = StateLock(State(tokens: Double(burst), refilledAt: clock()))
    }

    /// Takes a token for an entry about `event`: whether it may pass, and (when it passes after some were
    /// left out) what was left out.
    func admit(event: String) -> (pass: Bool, withheld: [String: Int]) {
        let now = clock()
        return state.withLock { state in
            let elapsed = Double(now - state.refilledAt) / 1e9
            state.tokens = min(Double(burst), state.tokens + elapsed * Double(perSecond))
            state.refilledAt = now
            guard state.tokens >= 1 else {
                state.withheld[event, default: 0] += 1
                state.withheldTotal += 1
                return (false, [:])
            }
            state.tokens -= 1
            defer { state.withheld = [:] }
            return (true, state.withheld)
        }
    }

    /// Entries left out since start.
    public var withheldTotal: Int { state.withLock { $0.withheldTotal } }
}

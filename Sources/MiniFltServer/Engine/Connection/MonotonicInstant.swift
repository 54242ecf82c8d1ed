// SPDX-License-Identifier: MIT
import MiniFltPosix

/// A point on CLOCK_MONOTONIC, in nanoseconds: the instants the port's deadlines are kept in.
///
/// The life cycle (``ConnectionLifeCycle``) takes instants rather than reading a clock, so that tests hand it
/// any instant they like and never sleep.
package struct MonotonicInstant: InstantProtocol, Hashable, Sendable {
    package var nanoseconds: Int64

    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The current instant of ``MonotonicClock``.
    package static var now: MonotonicInstant { MonotonicInstant(nanoseconds: MonotonicClock.now) }

    package func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds + duration.nanoseconds)
    }

    package func duration(to other: MonotonicInstant) -> Duration {
        .nanoseconds(other.nanoseconds - nanoseconds)
    }

    package static func < (a: MonotonicInstant, b: MonotonicInstant) -> Bool { a.nanoseconds < b.nanoseconds }
}

// SPDX-License-Identifier: MIT
public import Logging
import Synchronization

/// A log level shared by every logger of a process and changed while it runs (minifltd's SIGHUP): each
/// ``QueuedLogHandler`` made with it reads it on every entry, with one relaxed atomic load.
public final class LogLevelSwitch: Sendable {
    private let raw: Atomic<Int>

    public init(_ level: Logger.Level) {
        raw = Atomic(LogLevelSwitch.index(of: level))
    }

    public var level: Logger.Level {
        let levels = Logger.Level.allCases
        let index = raw.load(ordering: .relaxed)
        return levels.indices.contains(index) ? levels[index] : .info
    }

    public func set(_ level: Logger.Level) {
        raw.store(LogLevelSwitch.index(of: level), ordering: .relaxed)
    }

    private static func index(of level: Logger.Level) -> Int {
        Logger.Level.allCases.firstIndex(of: level) ?? 2
    }
}

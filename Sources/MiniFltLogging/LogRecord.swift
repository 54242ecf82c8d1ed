// SPDX-License-Identifier: MIT
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One log entry as the caller made it, captured so that a writer thread can format and write it later.
///
/// Capturing is all a logging call does on the caller's thread: no formatting beyond the message the call
/// already built, no escaping, no I/O.
public struct LogRecord: Sendable {
    public var level: Logger.Level
    public var message: String
    /// The handler's metadata with the entry's own merged over it.
    public var metadata: Logger.Metadata
    public var label: String
    public var source: String
    public var file: String
    public var function: String
    public var line: UInt
    /// Wall-clock time of the call, in nanoseconds since the epoch.
    public var timestamp: Int64

    public init(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata = [:],
        label: String,
        source: String = "",
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line,
        timestamp: Int64 = LogRecord.now
    ) {
        self.level = level
        self.message = message
        self.metadata = metadata
        self.label = label
        self.source = source
        self.file = file
        self.function = function
        self.line = line
        self.timestamp = timestamp
    }

    /// CLOCK_REALTIME in nanoseconds.
    public static var now: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

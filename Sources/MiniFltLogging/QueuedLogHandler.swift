// SPDX-License-Identifier: MIT
public import Logging

/// A log handler that captures each entry and queues it on a ``LogQueue``: the caller's thread never
/// formats, escapes or writes, and never waits for the sink.
public struct QueuedLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// The switch's level when the handler has one (setting it then changes the switch, for every logger).
    public var logLevel: Logger.Level {
        get { levelSwitch?.level ?? fixedLevel }
        set {
            fixedLevel = newValue
            levelSwitch?.set(newValue)
        }
    }
    public let label: String
    public let queue: LogQueue
    private var fixedLevel: Logger.Level
    private let levelSwitch: LogLevelSwitch?

    public init(label: String, queue: LogQueue, level: Logger.Level = .info) {
        self.label = label
        self.queue = queue
        self.fixedLevel = level
        self.levelSwitch = nil
    }

    /// A handler whose level follows `levelSwitch`.
    public init(label: String, queue: LogQueue, levelSwitch: LogLevelSwitch) {
        self.label = label
        self.queue = queue
        self.fixedLevel = levelSwitch.level
        self.levelSwitch = levelSwitch
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata, !extra.isEmpty { merged.merge(extra) { $1 } }
        queue.enqueue(
            LogRecord(
                level: event.level,
                message: "\(event.message)",
                metadata: merged,
                label: label,
                source: event.source,
                file: event.file,
                function: event.function,
                line: event.line
            )
        )
    }
}

// SPDX-License-Identifier: MIT
public import Logging

/// A log handler that stands in front of another one (a rate limit, a budget): its metadata and level are
/// the wrapped handler's, so that setting either on a `Logger` reaches the handler that writes.
public protocol WrappingLogHandler: LogHandler {
    var wrapped: any LogHandler { get set }
}

extension WrappingLogHandler {
    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }
}

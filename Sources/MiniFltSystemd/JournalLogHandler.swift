import CSystemd
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes structured entries to the systemd journal with `sd_journal_sendv`.
///
/// Each entry carries `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, a
/// `MESSAGE_ID` when the entry's `event` metadata names a kind in ``messageIDs``, and every metadata value as
/// a field of its own: `client.pid` becomes `MINIFLT_CLIENT_PID`, `status` becomes `MINIFLT_STATUS`.
/// `journalctl MINIFLT_CLIENT_PID=1234` and `journalctl MESSAGE_ID=...` filter on them.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    /// `SYSLOG_IDENTIFIER`, what `journalctl -t` filters on.
    public let identifier: String
    /// The `MESSAGE_ID` (32 hex digits) of each value of the `event` metadata key.
    public let messageIDs: [String: String]
    /// The prefix of fields made from metadata keys.
    public let fieldPrefix: String

    public init(identifier: String, messageIDs: [String: String] = [:], fieldPrefix: String = "MINIFLT_") {
        self.identifier = identifier
        self.messageIDs = messageIDs
        self.fieldPrefix = fieldPrefix
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(JournalLogHandler.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        if case .string(let kind)? = merged["event"], let id = messageIDs[kind] {
            fields.append("MESSAGE_ID=\(id)")
        }
        for (key, value) in merged {
            fields.append("\(JournalLogHandler.fieldName(key, prefix: fieldPrefix))=\(value)")
        }
        JournalLogHandler.send(fields)
    }

    /// The syslog priority of a level: critical 2, error 3, warning 4, notice 5, info 6, debug and trace 7.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// A journal field name for a metadata key: uppercase letters, digits and underscores, prefixed.
    /// journald silently drops fields whose names break those rules.
    public static func fieldName(_ key: String, prefix: String) -> String {
        let body = key.uppercased().unicodeScalars.map { scalar -> Character in
            ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
        }
        return prefix + String(body)
    }

    /// Sends one entry, one iovec per field. Returns quietly when no journal listens (sd_journal_sendv
    /// swallows ENOENT), as logging must never stop the daemon.
    static func send(_ fields: [String]) {
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: fields.count)
        var buffers: [UnsafeMutableRawBufferPointer] = []
        buffers.reserveCapacity(fields.count)
        defer {
            for buffer in buffers { buffer.deallocate() }
            vectors.deallocate()
        }
        for (index, field) in fields.enumerated() {
            let bytes = Array(field.utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            buffers.append(buffer)
            vectors[index] = iovec(iov_base: buffer.baseAddress, iov_len: bytes.count)
        }
        _ = sd_journal_sendv(vectors.baseAddress, Int32(fields.count))
    }
}

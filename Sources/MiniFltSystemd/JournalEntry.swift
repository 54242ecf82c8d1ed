// SPDX-License-Identifier: MIT
public import Logging
public import MiniFltLogging

/// One journal entry in journald's native protocol: the datagram a client sends to
/// `/run/systemd/journal/socket` (what `sd_journal_sendv` sends).
///
/// Each entry carries `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`, `CODE_FUNC`, a
/// `MESSAGE_ID` when the entry's `event` metadata names a kind in the writer's table, and every metadata value
/// as a field of its own: `client.pid` becomes `MINIFLT_CLIENT_PID`, `status` becomes `MINIFLT_STATUS`.
/// `journalctl MINIFLT_CLIENT_PID=1234` and `journalctl MESSAGE_ID=...` filter on them. Every value is
/// escaped (``LogEscaping``), so a field never holds a newline or a terminal control.
public struct JournalEntry: Sendable {
    /// `KEY=value` pairs in order.
    public private(set) var fields: [(String, String)] = []

    public init() {}

    /// The entry for `record`.
    /// - Parameters:
    ///   - identifier: `SYSLOG_IDENTIFIER`, what `journalctl -t` filters on.
    ///   - messageIDs: the `MESSAGE_ID` (32 hex digits) of each value of the `event` metadata key.
    ///   - fieldPrefix: the prefix of fields made from metadata keys.
    public init(_ record: LogRecord, identifier: String, messageIDs: [String: String], fieldPrefix: String = "MINIFLT_")
    {
        append("MESSAGE", record.message)
        append("PRIORITY", "\(JournalEntry.priority(record.level))")
        append("SYSLOG_IDENTIFIER", identifier)
        append("CODE_FILE", record.file)
        append("CODE_LINE", "\(record.line)")
        append("CODE_FUNC", record.function)
        if case .string(let kind)? = record.metadata["event"], let id = messageIDs[kind] {
            append("MESSAGE_ID", id)
        }
        for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
            append(JournalEntry.fieldName(key, prefix: fieldPrefix), "\(value)")
        }
    }

    /// Adds a field; the value is escaped and cut at 64 KiB (a datagram must fit the socket's buffer).
    public mutating func append(_ name: String, _ value: String) {
        var text = LogEscaping.escape(value)
        if text.utf8.count > JournalEntry.maxValueBytes {
            text = String(decoding: text.utf8.prefix(JournalEntry.maxValueBytes), as: UTF8.self) + "... (cut)"
        }
        fields.append((name, text))
    }

    static let maxValueBytes = 65536

    /// The datagram: `NAME=value\n` per field (values never hold a newline once escaped).
    public var datagram: [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += name.utf8
            bytes.append(UInt8(ascii: "="))
            bytes += value.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
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
}

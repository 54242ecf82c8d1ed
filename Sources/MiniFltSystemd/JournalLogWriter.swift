// SPDX-License-Identifier: MIT
import Logging
public import MiniFltLogging
import MiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// Writes entries to the systemd journal over its native socket, and to stderr while the journal cannot be
/// reached.
///
/// It speaks journald's datagram protocol itself rather than calling `sd_journal_sendv`, which returns
/// success when nobody listens: lines would vanish without a word behind a stale socket file. When the
/// journal refuses (no socket file, a file nobody listens on, journald restarting), the writer says so once
/// on stderr, writes every entry there, and tries the journal again at most once a second; when the journal
/// takes an entry again, it says that too, in both places. A journal that is merely slow (its queue full)
/// makes the writer wait, which only the ``LogQueue`` feels.
public struct JournalLogWriter: LogWriter {
    /// The journal's socket (`MINIFLTD_JOURNAL_SOCKET` overrides it).
    public let socketPath: String
    public let identifier: String
    public let messageIDs: [String: String]
    private var socket: DatagramSocket?
    private var console = ConsoleLogWriter()
    /// When the journal last refused, in monotonic nanoseconds (nil while it takes entries).
    private var unreachableSince: Int64?
    private var lastAttempt: Int64 = 0

    public static let defaultSocketPath = "/run/systemd/journal/socket"

    public init(
        identifier: String,
        messageIDs: [String: String],
        socketPath: String = JournalLogWriter.defaultSocketPath
    ) {
        self.identifier = identifier
        self.messageIDs = messageIDs
        self.socketPath = socketPath
    }

    public mutating func write(_ record: LogRecord) {
        let now = MonotonicClock.now
        if unreachableSince != nil, now - lastAttempt < 1_000_000_000 {
            return console.write(record)
        }
        lastAttempt = now
        let entry = JournalEntry(record, identifier: identifier, messageIDs: messageIDs)
        switch send(entry.datagram) {
        case nil:
            if let since = unreachableSince {
                unreachableSince = nil
                let back = LogRecord(
                    level: .notice,
                    message:
                        "the journal at \(socketPath) takes entries again after \((now - since) / 1_000_000_000) s; logging there",
                    label: record.label
                )
                console.write(back)
                _ = send(JournalEntry(back, identifier: identifier, messageIDs: messageIDs).datagram)
            }
        case let error?:
            if unreachableSince == nil {
                unreachableSince = now
                console.write(
                    LogRecord(
                        level: .warning,
                        message:
                            "cannot write to the journal at \(socketPath): \(error); logging to stderr until it takes entries again (is systemd-journald running?)",
                        label: record.label
                    )
                )
            }
            console.write(record)
        }
    }

    /// Sends one datagram, connecting (again) first when needed; the error when the journal refused it.
    private mutating func send(_ datagram: [UInt8]) -> SystemError? {
        for attempt in 0..<2 {
            do throws(SystemError) {
                if socket == nil { socket = try DatagramSocket(connectingTo: socketPath, nonBlocking: false) }
                try socket?.send(datagram, dontWait: false)
                return nil
            } catch {
                // A journald that restarted left this socket connected to its old, closed one: reconnect once.
                socket?.close()
                socket = nil
                if attempt == 1 || (error.errno != ECONNREFUSED && error.errno != ENOTCONN) { return error }
            }
        }
        return nil
    }
}

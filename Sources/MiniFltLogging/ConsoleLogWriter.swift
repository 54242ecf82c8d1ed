// SPDX-License-Identifier: MIT
import Logging
import MiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// Writes entries as lines to a descriptor (stderr by default), in swift-log's `StreamLogHandler` layout:
/// `2026-12-04T19:49:21+0000 info minifltd: client.pid=6291 [minifltd] message`, every value escaped.
public struct ConsoleLogWriter: LogWriter {
    public let fd: Int32

    public init(fd: Int32 = 2) { self.fd = fd }

    public mutating func write(_ record: LogRecord) {
        writeAll(fd, Array(ConsoleLogWriter.line(for: record).utf8))
    }

    /// The line for `record`, ending in a newline.
    public static func line(for record: LogRecord) -> String {
        var line = timestamp(record.timestamp) + " \(record.level) " + LogEscaping.escape(record.label) + ":"
        for (key, value) in record.metadata.sorted(by: { $0.key < $1.key }) {
            line += " " + LogEscaping.escape(key) + "=" + LogEscaping.escape("\(value)")
        }
        line += " [" + LogEscaping.escape(record.source) + "] " + LogEscaping.escape(record.message) + "\n"
        return line
    }

    /// Local time as `%Y-%m-%dT%H:%M:%S%z`.
    static func timestamp(_ nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

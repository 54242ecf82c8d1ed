import Logging
import MiniFltLogging
import Synchronization
import Testing

@Suite("The line budget: a burst, then a steady rate, and a count of what was left out")
struct LineBudgetTests {
    final class Clock: Sendable {
        let now = Atomic<Int64>(0)
        func advance(seconds: Double) { now.add(Int64(seconds * 1e9), ordering: .relaxed) }
    }

    /// A logger through a budget of `burst` and `perSecond`, writing into `records`.
    static func logger(burst: Int, perSecond: Int, clock: Clock, into records: RecordingWriter) -> Logger {
        let budget = LineBudget(burst: burst, perSecond: perSecond, clock: { clock.now.load(ordering: .relaxed) })
        return Logger(label: "test") { label in
            LineBudgetLogHandler(
                wrapped: RecordingHandler(label: label, writer: records), budget: budget, eventKey: "event",
                exempt: ["summary"], noticeEvent: "rate-limited"
            )
        }
    }

    @Test("a flood passes the burst, then the rate; the next entry that passes counts what was left out by kind")
    func flood() {
        let clock = Clock()
        let records = RecordingWriter()
        let logger = Self.logger(burst: 5, perSecond: 2, clock: clock, into: records)
        for _ in 0..<1000 { logger.info("connected", metadata: ["event": "client-connected"]) }
        for _ in 0..<10 { logger.warning("denied", metadata: ["event": "access-denied"]) }
        #expect(records.messages == Array(repeating: "connected", count: 5))

        clock.advance(seconds: 1)  // two tokens
        logger.info("connected", metadata: ["event": "client-connected"])
        let messages = records.messages
        #expect(messages.count == 7)
        #expect(messages[5].hasPrefix("left out 1005 log entries (995 client-connected, 10 access-denied)"), "\(messages[5])")
        #expect(records.records[5].metadata["event"] == "rate-limited")
        #expect(records.records[5].level == .warning)
        #expect(messages[6] == "connected")
    }

    @Test("exempt kinds and entries below info never count against the budget")
    func exempt() {
        let clock = Clock()
        let records = RecordingWriter()
        var logger = Self.logger(burst: 1, perSecond: 1, clock: clock, into: records)
        logger.logLevel = .debug
        logger.info("first")
        for _ in 0..<50 { logger.info("summary", metadata: ["event": "summary"]) }
        for _ in 0..<50 { logger.debug("detail") }
        logger.info("withheld")
        #expect(records.messages.filter { $0 == "summary" }.count == 50)
        #expect(records.messages.filter { $0 == "detail" }.count == 50)
        #expect(!records.messages.contains("withheld"))
    }

    @Test("over any stretch, entries at info and above stay within burst + rate x seconds (plus one notice each)")
    func bounded() {
        let clock = Clock()
        let records = RecordingWriter()
        let logger = Self.logger(burst: 100, perSecond: 10, clock: clock, into: records)
        for _ in 0..<600 {  // 60 s of 1,000 entries a second
            for _ in 0..<100 { logger.info("message", metadata: ["event": "message"]) }
            clock.advance(seconds: 0.1)
        }
        let passed = records.messages.filter { $0 == "message" }.count
        #expect(passed <= 100 + 10 * 60 && passed >= 10 * 60, "\(passed)")
        #expect(records.messages.count <= 2 * passed)
    }
}

/// A writer that keeps what it is given.
final class RecordingWriter: LogWriter, Sendable {
    let stored = Mutex<[LogRecord]>([])
    func write(_ record: LogRecord) { stored.withLock { $0.append(record) } }
    var records: [LogRecord] { stored.withLock { $0 } }
    var messages: [String] { records.map(\.message) }
}

/// A handler that writes straight into a ``RecordingWriter``, for tests of the handlers in front of it.
struct RecordingHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    let label: String
    let writer: RecordingWriter

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        merged.merge(event.metadata ?? [:]) { $1 }
        writer.write(LogRecord(level: event.level, message: "\(event.message)", metadata: merged, label: label))
    }
}

// SPDX-License-Identifier: MIT
import Logging
import MiniFltLogging
import MiniFltPosix
import Synchronization
import Testing

@Suite("The log queue: callers never wait for the sink")
struct LogQueueTests {
    /// A writer that blocks while its gate is closed, as a full pipe or a stopped journal does.
    final class GatedWriter: LogWriter, Sendable {
        let open = ConditionLock(false)
        let written = RecordingWriter()
        func write(_ record: LogRecord) {
            _ = open.wait { $0 ? true : nil }
            written.write(record)
        }
        func release() {
            open.withLock { $0 = true }
            open.broadcast()
        }
    }

    @Test(
        "with the sink blocked, enqueueing stays fast, the overflow is dropped and counted, and the count is written once it drains"
    )
    func blockedSink() {
        let writer = GatedWriter()
        let queue = LogQueue(capacity: 100, label: "test", dropMetadata: ["event": "log-dropped"], writer: writer)
        let logger = Logger(label: "test") { QueuedLogHandler(label: $0, queue: queue) }
        let start = MonotonicClock.now
        for index in 0..<10_000 { logger.info("entry \(index)") }
        let elapsed = MonotonicClock.now - start
        // Not a benchmark: a caller that waited on the blocked writer would never get here at all.
        #expect(elapsed < 5_000_000_000)
        #expect(!queue.flush(timeout: .milliseconds(50)), "flushed while the sink was blocked")
        // The writer holds one batch (at most the capacity) and the queue at most the capacity more.
        #expect(queue.droppedTotal >= 10_000 - 2 * 100)

        writer.release()
        #expect(queue.flush(timeout: .seconds(5)))
        let records = writer.written.records
        let entries = records.filter { $0.metadata["event"] != "log-dropped" }.map(\.message)
        let notices = records.filter { $0.metadata["event"] == "log-dropped" }
        #expect(entries.count + queue.droppedTotal == 10_000, "every entry was either written or counted")
        #expect(entries.count <= 2 * 100)
        #expect(entries.first == "entry 0")
        #expect(entries == entries.sorted { Int($0.dropFirst(6)) ?? -1 < Int($1.dropFirst(6)) ?? -1 }, "out of order")
        let counted = notices.compactMap { $0.metadata["dropped"].flatMap { Int("\($0)") } }.reduce(0, +)
        #expect(counted == queue.droppedTotal, "the drop warnings count every dropped entry")
        #expect(notices.allSatisfy { $0.message.hasPrefix("dropped ") && $0.level == .warning })
        #expect(records.last?.metadata["event"] == "log-dropped", "the count comes after the entries it follows")
    }

    @Test(
        "a flood of info lines never crowds out a warning: the last quarter of the queue is kept for notice and above"
    )
    func warningsKeepRoom() {
        let writer = GatedWriter()
        let queue = LogQueue(capacity: 100, label: "test", writer: writer)
        let logger = Logger(label: "test") { QueuedLogHandler(label: $0, queue: queue) }
        for index in 0..<1_000 { logger.info("entry \(index)") }
        logger.warning("the client does not read")
        writer.release()
        #expect(queue.flush(timeout: .seconds(5)))
        #expect(writer.written.messages.contains("the client does not read"))
        #expect(writer.written.messages.filter { $0.hasPrefix("entry ") }.count <= 100 + 75)
    }

    @Test("entries reach the writer in order, with the handler's metadata merged under the entry's")
    func order() {
        let writer = RecordingWriter()
        let queue = LogQueue(label: "test", writer: writer)
        var logger = Logger(label: "ordered") { QueuedLogHandler(label: $0, queue: queue) }
        logger[metadataKey: "port"] = "\\Port"
        for index in 0..<500 { logger.info("entry \(index)", metadata: index == 7 ? ["port": "override"] : nil) }
        #expect(queue.flush(timeout: .seconds(5)))
        #expect(writer.messages == (0..<500).map { "entry \($0)" })
        #expect(writer.records[0].metadata["port"] == "\\Port")
        #expect(writer.records[7].metadata["port"] == "override")
        #expect(writer.records[0].label == "ordered")
        #expect(queue.droppedTotal == 0)
    }
}

/// A writer that keeps what it is given.
final class RecordingWriter: LogWriter, Sendable {
    let stored = Mutex<[LogRecord]>([])
    func write(_ record: LogRecord) { stored.withLock { $0.append(record) } }
    var records: [LogRecord] { stored.withLock { $0 } }
    var messages: [String] { records.map(\.message) }
}

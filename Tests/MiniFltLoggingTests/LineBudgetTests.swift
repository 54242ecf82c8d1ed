// SPDX-License-Identifier: MIT
import InMemoryLogging
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
    static func logger(burst: Int, perSecond: Int, clock: Clock, into records: InMemoryLogHandler) -> Logger {
        let budget = LineBudget(burst: burst, perSecond: perSecond, clock: { clock.now.load(ordering: .relaxed) })
        return Logger(label: "test") { _ in
            LineBudgetLogHandler(
                wrapped: records,
                budget: budget,
                eventKey: "event",
                exempt: ["summary"],
                noticeEvent: "rate-limited"
            )
        }
    }

    /// A handler that keeps every entry, of any level.
    static func recorder() -> InMemoryLogHandler {
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        return handler
    }

    @Test("a flood passes the burst, then the rate; the next entry that passes counts what was left out by kind")
    func flood() {
        let clock = Clock()
        let records = Self.recorder()
        let logger = Self.logger(burst: 5, perSecond: 2, clock: clock, into: records)
        for _ in 0..<1000 { logger.info("connected", metadata: ["event": "client-connected"]) }
        for _ in 0..<10 { logger.warning("denied", metadata: ["event": "access-denied"]) }
        #expect(records.entries.map { "\($0.message)" } == Array(repeating: "connected", count: 5))

        clock.advance(seconds: 1)  // two tokens
        logger.info("connected", metadata: ["event": "client-connected"])
        let messages = records.entries.map { "\($0.message)" }
        #expect(messages.count == 7)
        #expect(
            messages[5].hasPrefix("left out 1005 log entries (995 client-connected, 10 access-denied)"),
            "\(messages[5])"
        )
        #expect(records.entries[5].metadata["event"] == "rate-limited")
        #expect(records.entries[5].level == .warning)
        #expect(messages[6] == "connected")
    }

    @Test("exempt kinds and entries below info never count against the budget")
    func exempt() {
        let clock = Clock()
        let records = Self.recorder()
        var logger = Self.logger(burst: 1, perSecond: 1, clock: clock, into: records)
        logger.logLevel = .debug
        logger.info("first")
        for _ in 0..<50 { logger.info("summary", metadata: ["event": "summary"]) }
        for _ in 0..<50 { logger.debug("detail") }
        logger.info("withheld")
        #expect(records.entries.map { "\($0.message)" }.filter { $0 == "summary" }.count == 50)
        #expect(records.entries.map { "\($0.message)" }.filter { $0 == "detail" }.count == 50)
        #expect(!records.entries.map { "\($0.message)" }.contains("withheld"))
    }

    @Test("over any stretch, entries at info and above stay within burst + rate x seconds (plus one notice each)")
    func bounded() {
        let clock = Clock()
        let records = Self.recorder()
        let logger = Self.logger(burst: 100, perSecond: 10, clock: clock, into: records)
        for _ in 0..<600 {  // 60 s of 1,000 entries a second
            for _ in 0..<100 { logger.info("message", metadata: ["event": "message"]) }
            clock.advance(seconds: 0.1)
        }
        let passed = records.entries.map { "\($0.message)" }.filter { $0 == "message" }.count
        #expect(passed <= 100 + 10 * 60 && passed >= 10 * 60, "\(passed)")
        #expect(records.entries.map { "\($0.message)" }.count <= 2 * passed)
    }
}

// SPDX-License-Identifier: MIT
import InMemoryLogging
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

@Suite("Per-peer log rate limit")
struct PeerRateLimitTests {
    final class Clock: Sendable {
        let now = Atomic<Int64>(0)
    }

    @Test("a uid's failures pass up to the burst per window, then one line says how many were dropped")
    func burstThenSummary() {
        var store = InMemoryLogHandler()
        store.logLevel = .trace
        let clock = Clock()
        let logger = Logger(label: "test") { _ in
            PeerRateLimitedLogHandler(
                wrapped: store,
                budget: PeerRateLimitedLogHandler.Budget(burst: 5, window: .seconds(10)),
                clock: { clock.now.load(ordering: .relaxed) }
            )
        }
        let nobody = PeerIdentityFixture.nobody
        for _ in 0..<100 { logger.event(.warning, .accessDenied, "denied", peer: nobody, status: .accessDenied) }
        for _ in 0..<3 { logger.event(.warning, .accessDenied, "denied root", peer: PeerIdentityFixture.root) }
        // Info lines of working clients are never limited.
        for _ in 0..<20 { logger.event(.info, .message, "message", peer: nobody) }
        #expect(store.count("uid 65534") == 0)
        #expect(store.lines.filter { $0.hasSuffix(" denied") }.count == 5)
        #expect(store.count("denied root") == 3)
        #expect(store.count(" message") == 20)

        clock.now.store(11_000_000_000, ordering: .relaxed)
        logger.event(.warning, .accessDenied, "denied", peer: nobody)
        #expect(store.contains("dropped 95 log entries about uid 65534 in the last 10 s"))
        #expect(store.contains("event=rate-limited"))
    }
}

enum PeerIdentityFixture {
    static let nobody = PeerIdentity(pid: 42, uid: 65534, gid: 65534)
    static let root = PeerIdentity(pid: 43, uid: 0, gid: 0)
}

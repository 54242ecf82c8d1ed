// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import Testing

/// Issue 17, point 7: a burst of large messages must not leave its peak resident (README, "How it is built").
@Suite(
    "Freed memory goes back after a burst, against the real daemon",
    // AddressSanitizer and ThreadSanitizer bring allocators of their own: malloc_trim does not reach them.
    .disabled(if: ProcessInfo.processInfo.environment["MINIFLT_SANITIZER"] != nil, "not under make sanitize")
)
struct FreedMemoryTests {
    @Test("200 clients each send six 1 MiB messages: within a second and a half of the end, RSS is within 2x of idle")
    func burstOfLargeMessages() throws {
        let daemon = try Daemon(arguments: [
            "--log-level", "warning", "--max-connections", "256", "--max-pending-handshakes", "256",
        ])
        _ = try FilterPort.connect(to: daemon.port).send(userToFilter("warm up"), outputCapacity: 4096)
        usleep(300_000)
        let idle = SoakTests.residentKiB(daemon.pid)
        let burst = try Self.largeMessageBurst(to: daemon.port)
        let ended = ContinuousClock.now
        #expect(burst.status == 0, "\(burst.standardError)")
        let peak = SoakTests.residentKiB(daemon.pid)
        let settled = eventually(timeout: .milliseconds(1500)) { SoakTests.residentKiB(daemon.pid) <= 2 * idle }
        let took = ContinuousClock.now - ended
        let after = SoakTests.residentKiB(daemon.pid)
        print(
            "freed memory: idle RSS \(idle / 1024) MiB, \(peak / 1024) MiB as the burst ended, \(after / 1024) MiB \(took) later"
        )
        #expect(settled, "RSS \(after) KiB 1.5 s after the burst, against \(idle) KiB idle")
        #expect(try FilterPort.connect(to: daemon.port).send(userToFilter("after"), outputCapacity: 4096).count == 22)
    }

    /// 200 clients each sending six of the largest message the default limit takes (the 4-byte output
    /// capacity and the bytes fill 1 MiB), through minifltctl.
    static func largeMessageBurst(to port: String) throws -> ProcessResult {
        try runProgram(
            Binaries.minifltctl.path,
            ["send", "--port", port, "--clients", "200", "--size", "\((1 << 20) - 4)", "--repeat", "6", "Hello"]
        )
    }
}

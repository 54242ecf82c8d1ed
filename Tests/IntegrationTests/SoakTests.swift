// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

/// The slow hostile cases: `make soak` runs them (MINIFLT_SOAK=1); `make test` skips them. Each prints the
/// daemon's descriptors and resident memory before and after, for the record.
@Suite(
    "Soak: long hostile runs against the real daemon",
    .enabled(if: ProcessInfo.processInfo.environment["MINIFLT_SOAK"] == "1")
)
struct SoakTests {
    /// VmRSS of `pid` in KiB, from /proc.
    static func residentKiB(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return -1 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    static func report(_ what: String, _ daemon: Daemon, fds: Int, rss: Int) {
        let mib = { (kib: Int) in String(format: "%.1f MiB", Double(kib) / 1024) }
        print(
            "soak: \(what): fds \(fds) -> \(daemon.openDescriptorCount), RSS \(mib(rss)) -> \(mib(residentKiB(daemon.pid)))"
        )
    }

    @Test("100,000 connect-and-refused cycles: descriptors flat, memory flat")
    func refusedCycles() throws {
        let daemon = try Daemon(arguments: ["--log-level", "error"])
        let held = try FilterPort.connect(to: daemon.port)
        _ = try held.send(userToFilter("warm up"), outputCapacity: 4096)
        for _ in 0..<2000 { _ = try? FilterPort.connect(to: daemon.port) }  // warm the allocator's caches
        let fds = daemon.settledDescriptorCount
        let rss = Self.residentKiB(daemon.pid)
        #expect(refusedConnects(to: daemon.port, attempts: 100_000) == 100_000)
        #expect(
            eventually { daemon.openDescriptorCount == fds },
            "fds \(fds) before, \(daemon.openDescriptorCount) after"
        )
        Self.report("100000 refused connects", daemon, fds: fds, rss: rss)
        #expect(Self.residentKiB(daemon.pid) - rss < 4096, "RSS grew by more than 4 MiB")
        #expect(try held.send(userToFilter("still here"), outputCapacity: 4096).count == 22)
    }

    @Test("50,000 connect, hello and close cycles: every slot comes back, memory flat")
    func helloCycles() throws {
        let daemon = try Daemon(arguments: ["--log-level", "error", "--max-connections", "4"])
        for _ in 0..<2000 {
            _ = try FilterPort.connect(to: daemon.port).send(userToFilter("warm"), outputCapacity: 4096)
        }
        let fds = daemon.settledDescriptorCount
        let rss = Self.residentKiB(daemon.pid)
        for _ in 0..<50_000 {
            let port = try connectRetrying(daemon.port)
            #expect(try port.send(userToFilter("Hello"), outputCapacity: 4096).count == 22)
            port.close()
        }
        #expect(
            eventually { daemon.openDescriptorCount == fds },
            "fds \(fds) before, \(daemon.openDescriptorCount) after"
        )
        Self.report("50000 hello connections", daemon, fds: fds, rss: rss)
        #expect(Self.residentKiB(daemon.pid) - rss < 4096, "RSS grew by more than 4 MiB")
    }

    @Test("20 s of connect, CONNECT and close churn with hour-long timeouts: memory flat (issue 17, point 8)")
    func churnWithLongTimeouts() throws {
        let daemon = try Daemon(arguments: [
            "--log-level", "error", "--max-connections", "4", "--handshake-timeout", "3600", "--frame-timeout", "3600",
        ])
        for _ in 0..<2000 { try connectRetrying(daemon.port).close() }
        let fds = daemon.settledDescriptorCount
        let rss = Self.residentKiB(daemon.pid)
        let start = ContinuousClock.now
        var cycles = 0
        while ContinuousClock.now - start < .seconds(20) {
            try connectRetrying(daemon.port).close()
            cycles += 1
        }
        #expect(
            eventually { daemon.openDescriptorCount == fds },
            "fds \(fds) before, \(daemon.openDescriptorCount) after"
        )
        Self.report("\(cycles) connect-and-close cycles in 20 s, handshake timeout 3600 s", daemon, fds: fds, rss: rss)
        #expect(Self.residentKiB(daemon.pid) - rss < 2048, "RSS grew by more than 2 MiB")
    }

    @Test("five bursts of 200 clients sending six 1 MiB messages each: RSS back within 2x of idle after every one")
    func burstsOfLargeMessages() throws {
        let daemon = try Daemon(arguments: [
            "--log-level", "error", "--max-connections", "256", "--max-pending-handshakes", "256",
        ])
        _ = try FilterPort.connect(to: daemon.port).send(userToFilter("warm up"), outputCapacity: 4096)
        let fds = daemon.settledDescriptorCount
        let rss = Self.residentKiB(daemon.pid)
        for burst in 1...5 {
            let result = try FreedMemoryTests.largeMessageBurst(to: daemon.port)
            let ended = ContinuousClock.now
            #expect(result.status == 0, "\(result.standardError)")
            let peak = Self.residentKiB(daemon.pid)
            #expect(
                eventually(timeout: .milliseconds(1500)) { Self.residentKiB(daemon.pid) <= 2 * rss },
                "burst \(burst): RSS \(Self.residentKiB(daemon.pid)) KiB, idle \(rss) KiB"
            )
            let back = ContinuousClock.now - ended
            usleep(500_000)
            print(
                "soak: burst \(burst) of 200 clients x six 1 MiB messages: RSS \(peak / 1024) MiB at its end, within 2x of idle \(back) later, \(Self.residentKiB(daemon.pid) / 1024) MiB 0.5 s after that"
            )
        }
        #expect(
            eventually { daemon.openDescriptorCount == fds },
            "fds \(fds) before, \(daemon.openDescriptorCount) after"
        )
        Self.report("5 bursts of 1 MiB messages", daemon, fds: fds, rss: rss)
    }

    @Test("300 clients that stall mid-frame at once: all cut off at the frame timeout, a bystander served throughout")
    func stallingCrowd() throws {
        let daemon = try Daemon(arguments: ["--log-level", "error", "--max-connections", "400", "--frame-timeout", "1"])
        let bystander = try FilterPort.connect(to: daemon.port)
        let fds = daemon.settledDescriptorCount
        let rss = Self.residentKiB(daemon.pid)
        var header: [UInt8] = []
        FrameHeader(bodyLength: 4100, type: .send, messageID: 1).encode(into: &header)
        let crowd = try (0..<300).map { _ in try RawClient.connected(port: daemon.port) }
        for client in crowd { client.write(header) }
        let start = ContinuousClock.now
        var served = 0
        while ContinuousClock.now - start < .milliseconds(800) {
            served += try bystander.send(userToFilter("busy"), outputCapacity: 4096).count == 22 ? 1 : 0
        }
        #expect(served > 100, "the bystander was served \(served) times while the crowd stalled")
        for client in crowd { #expect(try client.readFrame() == .disconnect(.ioTimeout)) }
        #expect(
            eventually { daemon.openDescriptorCount == fds },
            "fds \(fds) before, \(daemon.openDescriptorCount) after"
        )
        Self.report("300 clients stalled mid-frame", daemon, fds: fds, rss: rss)
    }

    /// Connects, retrying while the previous connection's slot is still being released.
    private func connectRetrying(_ port: String) throws -> FilterPort {
        var attempts = 0
        while true {
            do {
                return try FilterPort.connect(to: port)
            } catch {
                attempts += 1
                guard error.hresult == .connectionCountLimit, attempts < 1000 else { throw error }
                usleep(100)
            }
        }
    }
}

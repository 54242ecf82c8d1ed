// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// Issue 17, point 3: an admitted uid that holds every pending-handshake place with silent sockets must not
/// lock root or any other uid out (protocol section 3, "Connecting").
@Suite("Pending handshakes are shared fairly between uids, against the real daemon")
struct HandshakeFairnessTests {
    /// Holds `count` connected sockets that never send CONNECT, and opens a new one for each the daemon ends.
    static let attacker = """
        import select, socket, sys
        address = b"\\0" + sys.argv[1].lower().encode()
        def silent():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(address)
            return s
        held = [silent() for _ in range(int(sys.argv[2]))]
        print("holding", flush=True)
        while True:
            readable, _, _ = select.select(held, [], [], 1.0)
            for s in readable:
                held.remove(s)
                s.close()
                held.append(silent())
        """

    // uid 1000 attacks and uid 1001 stands by: 65534, the overflow uid, could only be admitted through WD.
    @Test(
        "uid 1000 holding the cap with silent sockets, and replacing each one shed: root and uid 1001 connect within a second"
    )
    func silentSocketsOfOneUID() throws {
        let cap = 16
        let daemon = try Daemon(arguments: [
            "--allow-user", "1000", "--allow-user", "1001", "--max-connections", "200",
            "--max-pending-handshakes", "\(cap)", "--handshake-timeout", "30", "--log-level", "info",
        ])
        let attack = try ChildProcess(
            "/usr/bin/setpriv",
            [
                "--reuid", "1000", "--regid", "1000", "--clear-groups", "/usr/bin/python3", "-c", Self.attacker,
                daemon.port, "\(2 * cap)",
            ],
            mergeStandardOutput: true
        )
        defer { _ = attack.stop(SIGKILL) }
        let said = attack.collectOutput()
        #expect(
            eventually { said.text.withLock { $0.contains("holding") } },
            "the attacker did not start: \(said.text.withLock { $0 })"
        )
        usleep(200_000)

        var slowest = Duration.zero
        for _ in 0..<10 {
            let start = ContinuousClock.now
            let port = try FilterPort.connect(to: daemon.port)
            #expect(try port.send(userToFilter("root"), outputCapacity: 4096).count == 22)
            slowest = max(slowest, ContinuousClock.now - start)
            port.close()
        }
        #expect(slowest < .seconds(1), "root's slowest connect and hello under the attack took \(slowest)")

        let start = ContinuousClock.now
        let other = try runAsUser(1001, ["send", "--port", daemon.port, "Hello"])
        let otherTook = ContinuousClock.now - start
        #expect(other.status == 0 && other.standardOutput == "Hello, User\n", "\(other.standardError)")
        #expect(otherTook < .seconds(1), "uid 1001's minifltctl send under the attack took \(otherTook)")
        print(
            "handshake fairness: root's slowest of 10 connects \(slowest), uid 1001's minifltctl run \(otherTook), with uid 1000 holding \(2 * cap) silent sockets against a cap of \(cap)"
        )

        #expect(daemon.waitForLog("ending the oldest of uid 1000"), "\(daemon.tail)")
        #expect(!daemon.output.contains("ending the oldest of uid 0 "), "root's handshake was shed")
        #expect(attack.process.isRunning, "the attacker stopped by itself: \(said.text.withLock { $0 })")
    }
}

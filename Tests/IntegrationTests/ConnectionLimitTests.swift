// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

@Suite("Connection limits against the real daemon")
struct ConnectionLimitTests {
    @Test("the connection after max-connections gets 0x800704D6, and the slot comes back", arguments: [1, 3])
    func limit(maxConnections: Int) throws {
        let daemon = try Daemon(arguments: ["--max-connections", "\(maxConnections)"])
        var held = try (0..<maxConnections).map { _ in try FilterPort.connect(to: daemon.port) }
        expectFailure(.connectionCountLimit, "connect over the limit succeeded") {
            try FilterPort.connect(to: daemon.port)
        }
        #expect(daemon.waitForLog("event=connection-limit"))
        held.removeLast().close()
        let back = eventually { (try? FilterPort.connect(to: daemon.port)).map { held.append($0) } != nil }
        #expect(back, "the slot did not come back after a disconnect")
        for port in held { #expect(try port.send(userToFilter("x"), outputCapacity: 4096).count == 22) }
    }

    @Test("2000 refused connects leave the daemon's descriptor count where it was")
    func refusedConnectsLeakNothing() throws {
        let daemon = try Daemon(arguments: ["--log-level", "error"])
        let held = try FilterPort.connect(to: daemon.port)
        _ = try held.send([], outputCapacity: 0)
        let before = daemon.settledDescriptorCount
        #expect(refusedConnects(to: daemon.port, attempts: 2000) == 2000)
        #expect(
            eventually { daemon.openDescriptorCount == before },
            "fds before \(before), after \(daemon.openDescriptorCount)"
        )
        #expect(try held.send(userToFilter("still here"), outputCapacity: 4096).count == 22)
    }
}

/// Connects `attempts` times to a port whose connections are all taken; returns how many were refused with
/// 0x800704D6 (STATUS_CONNECTION_COUNT_LIMIT).
func refusedConnects(to port: String, attempts: Int) -> Int {
    var refused = 0
    for _ in 0..<attempts {
        do {
            _ = try FilterPort.connect(to: port)
        } catch {
            if error.hresult == .connectionCountLimit { refused += 1 }
        }
    }
    return refused
}

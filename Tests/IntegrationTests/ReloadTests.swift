// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import Testing

/// SIGHUP reloads the configuration file: what can change applies to new connections, connected clients
/// stay, and a file that cannot be used leaves the running configuration as it was.
@Suite("SIGHUP reloads the configuration")
struct ReloadTests {
    typealias File = ConfigFileTests.File

    @Test("a uid newly allowed connects after SIGHUP while a connected client stays; the log says what changed")
    func newlyAllowed() throws {
        let file = try File("max-connections = 2\n")
        defer { file.remove() }
        let daemon = try Daemon(arguments: ["--config", file.path])
        let before = try runAsUser(1000, ["send", "--port", daemon.port, "Hello"])
        #expect(before.status != 0, "uid 1000 is not admitted before the reload")
        let connected = try FilterPort.connect(to: daemon.port)
        defer { connected.close() }
        try "max-connections = 3\nallow-user = 1000\nframe-timeout = 7\n".write(
            toFile: file.path,
            atomically: true,
            encoding: .utf8
        )
        kill(daemon.pid, SIGHUP)
        #expect(daemon.waitForLog("needs a restart (runs as before): frame-timeout 5.0 -> 7.0"), "\(daemon.tail)")
        #expect(daemon.output.contains("applied: allow-user (none) -> 1000, max-connections 2 -> 3"), "\(daemon.tail)")
        let after = try runAsUser(1000, ["send", "--port", daemon.port, "Hello"])
        #expect(after.status == 0, "\(after.standardError)")
        // The client connected before the reload still gets answers.
        let reply = try connected.send(Array("Hello".utf8), outputCapacity: 4096)
        #expect(!reply.isEmpty)
        #expect(daemon.terminate() == 0)
    }

    @Test("a file that cannot be used at SIGHUP: an error with the file, line and option; the old one stays")
    func badFileKeepsOld() throws {
        let file = try File("max-connections = 1\n")
        defer { file.remove() }
        let daemon = try Daemon(arguments: ["--config", file.path])
        try "allow-user = 1000\nmax-connections = zero\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        #expect(
            daemon.waitForLog("SIGHUP: reload failed: \(file.path):2: max-connections:"),
            "\(daemon.tail)"
        )
        #expect(daemon.output.contains("keeping the running configuration"))
        let refused = try runAsUser(1000, ["send", "--port", daemon.port, "Hello"])
        #expect(refused.status != 0, "uid 1000 must still be denied")
        #expect(daemon.terminate() == 0)
    }
}

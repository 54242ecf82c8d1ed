// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// docs/protocol.md is what independent clients are written from: its code must work as printed.
@Suite("docs/protocol.md's examples, run as written")
struct ProtocolDocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/protocol.md")

    /// The first python code block after `heading`.
    static func pythonBlock(after heading: String) throws -> String {
        let text = try String(contentsOf: document, encoding: .utf8)
        let section = try #require(text.range(of: heading)).upperBound
        let start = try #require(text.range(of: "```python\n", range: section..<text.endIndex)).upperBound
        let end = try #require(text.range(of: "```", range: start..<text.endIndex)).lowerBound
        return String(text[start..<end])
    }

    @Test("section 9's complete client gets Hello, User from the real daemon")
    func completeClient() throws {
        let daemon = try Daemon()
        // The document talks to the default port; the test's daemon serves a port of its own.
        let code = try Self.pythonBlock(after: "## 9. A complete client in Python")
            .replacingOccurrences(
                of: "\"\\\\MiniFilterPort_Example\"",
                with: "\"\(daemon.port.replacingOccurrences(of: "\\", with: "\\\\"))\""
            )
        try #require(!code.contains("MiniFilterPort_Example"), "the example's port name was not replaced")
        let result = try runProgram("/usr/bin/python3", ["-c", code])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "Hello, User\n", "\(result.standardOutput)")
    }

    @Test("section 1's socket-file connect, in section 9's client, gets Hello, User through minifltd --socket-path")
    func socketFileClient() throws {
        let path = SocketPathTests.socketPath("document")
        let daemon = try Daemon(arguments: ["--socket-path", path], listeningAt: path)
        let connect = try Self.pythonBlock(after: "### A socket file instead of an abstract address")
            .replacingOccurrences(of: "/run/minifltd/port.sock", with: path)
        let original =
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            + "s.connect(b\"\\0\" + \"\\\\MiniFilterPort_Example\".lower().encode())\n"
        let client = try Self.pythonBlock(after: "## 9. A complete client in Python")
        try #require(client.contains(original), "section 9's connect lines changed")
        let result = try runProgram(
            "/usr/bin/python3",
            ["-c", client.replacingOccurrences(of: original, with: connect)]
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "Hello, User\n", "\(result.standardOutput)")
        #expect(daemon.terminate() == 0)
    }

    @Test("section 9's complete client stops with the reason when the server closes mid-frame, instead of spinning")
    func completeClientMidFrame() throws {
        let name = "\\MiniFltTest_midframe_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        // A server that takes CONNECT, sends a header promising 100 bytes and 10 of them, and closes.
        let server = try ChildProcess(
            "/usr/bin/python3",
            [
                "-u", "-c",
                """
                import socket, struct, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(b"\\0" + sys.argv[1].lower().encode()); s.listen(1); print("ready", flush=True)
                c, _ = s.accept(); c.recv(24)
                c.sendall(struct.pack("<IHHQ", 100, 2, 0, 0) + bytes(10)); c.close()
                """, name,
            ],
            mergeStandardOutput: true
        )
        defer { _ = server.stop(SIGKILL) }
        let ready = server.collectOutput()
        #expect(eventually { ready.text.withLock { $0.contains("ready") } })
        let code = try Self.pythonBlock(after: "## 9. A complete client in Python")
            .replacingOccurrences(
                of: "\"\\\\MiniFilterPort_Example\"",
                with: "\"\(name.replacingOccurrences(of: "\\", with: "\\\\"))\""
            )
        try #require(!code.contains("MiniFilterPort_Example"), "the example's port name was not replaced")
        let client = try ChildProcess("/usr/bin/python3", ["-c", code], mergeStandardOutput: true)
        let printed = client.collectOutput()
        #expect(client.exitStatus(within: .seconds(10)) == 1, "the client spins on a closed socket")
        #expect(
            eventually { printed.text.withLock { $0.contains("EOFError: the server closed the connection mid-frame") } }
        )
    }
}

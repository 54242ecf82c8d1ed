// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// A server that passes descriptors to a client that did not ask for them (docs/protocol.md section 12, "Opting
/// in"): both client libraries read such a connection with a plain recv, so the kernel closes the descriptors,
/// and the client takes the MESSAGE, answers it and keeps its connection.
@Suite("Descriptors a client did not ask for")
struct UnaskedDescriptorsTests {
    /// A listener that sends MESSAGE 7 (the path "A" in `encoding`, a reply capacity of 4) with a pipe's write end
    /// in SCM_RIGHTS and a count of 0, says whether every copy of that end was closed, answers the REPLY with
    /// REPLY_RESULT success, then sends MESSAGE 8 without descriptors and answers its REPLY too.
    static func server(port: String, encoding: String) throws -> ChildProcess {
        try FltLibTests.fakeServer(
            port: port,
            serving: """
                import select
                connect = c.recv(64)
                assert struct.unpack("<I", connect[20:24])[0] & 0x100 == 0, connect
                c.sendall(struct.pack("<IHHQI", 4, 2, 0, 0, 0))
                r, w = os.pipe()
                terminator = "\\0".encode("\(encoding)")
                body = "A".encode("\(encoding)") + terminator
                rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", w))]
                c.sendmsg([struct.pack("<IHHQI", 4 + len(body), 5, 0, 7, 4) + body], rights)
                os.close(w)
                ready, _, _ = select.select([r], [], [], 10)
                print("descriptor", "closed" if ready and os.read(r, 1) == b"" else "open", flush=True)
                reply = c.recv(64)
                kind, ident = struct.unpack("<IHHQ", reply[:16])[1], struct.unpack("<IHHQ", reply[:16])[3]
                print("reply", kind, ident, flush=True)
                c.sendall(struct.pack("<IHHQI", 4, 7, 0, ident, 0))
                body = "B".encode("\(encoding)") + terminator
                c.sendall(struct.pack("<IHHQI", 4 + len(body), 5, 0, 8, 4) + body)
                c.recv(64)
                c.sendall(struct.pack("<IHHQI", 4, 7, 0, 8, 0))
                c.recv(64)
                """
        )
    }

    /// Runs `client` against ``server(port:encoding:)`` at a new port, then checks that the server saw its
    /// descriptor closed and MESSAGE 7 answered.
    static func serving(_ label: String, encoding: String, client: (String) throws -> Void) throws {
        let port = Binaries.uniquePortName(label)
        let server = try Self.server(port: port, encoding: encoding)
        defer { _ = server.stop(SIGKILL) }
        let printed = server.collectOutput()
        try client(port)
        #expect(
            eventually { printed.text.withLock { $0.contains("descriptor closed\nreply 6 7\n") } },
            "\(printed.text.withLock { $0 })"
        )
    }

    @Test("libfltlib: the kernel closes them, and FilterGetMessage and FilterReplyMessage work on")
    func fltlib() throws {
        // libfltlib's WCHAR is wchar_t: UTF-32.
        try Self.serving("unasked", encoding: "utf-32-le") { port in
            let result = try FltLibTests.run("flt_listen", ["--port", port, "2"])
            #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
            #expect(result.standardOutput == "listening\nA\nB\n", "\(result.standardOutput)")
        }
    }

    @Test("the Swift client: the kernel closes them, and the listener answers both messages")
    func swiftClient() throws {
        // minifltctl's default wchar size: UTF-16.
        try Self.serving("unaskedswift", encoding: "utf-16-le") { port in
            let listener = try ChildProcess(
                Binaries.minifltctl.path,
                ["listen", "--port", port],
                mergeStandardOutput: true
            )
            defer { _ = listener.stop(SIGKILL) }
            let listened = listener.collectOutput()
            #expect(eventually { listened.text.withLock { $0 == "A\nB\n" } }, "\(listened.text.withLock { $0 })")
            #expect(listener.process.isRunning, "the listener lost its connection: \(listened.text.withLock { $0 })")
        }
    }
}

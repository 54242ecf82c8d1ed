// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// A libfltlib client at its descriptor limit (docs/protocol.md section 12): flt_descriptors lowers its own
/// RLIMIT_NOFILE and fills its table, so the kernel drops the descriptor of the next message (MSG_CTRUNC); the
/// message arrives without it, the descriptor call says why (0x80070004), the connection lives on, and once
/// the program closed 4 descriptors the next message brings its descriptor.
extension FltLibTests {
    @Test(
        "FilterGetMessageDescriptors at the descriptor limit: 0x80070004, the connection lives on, the daemon keeps none"
    )
    func getAtDescriptorLimit() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: [
            "--watch", folder.url.path, "--pass-descriptors", "--verdict-cache", "false", "--log-level", "info",
        ])
        // Counted before the client connects: it has gone (and its connection with it) when counted again.
        let before = daemon.settledDescriptorCount
        let client = try ChildProcess(
            try FltLibPrograms.path("flt_descriptors"),
            ["limit-get", "--port", daemon.port],
            mergeStandardOutput: true
        )
        let printed = client.collectOutput()
        defer { _ = client.stop(SIGKILL) }
        #expect(eventually { printed.text.withLock { $0.contains("full\n") } }, "\(printed.text.withLock { $0 })")
        #expect(try FileOpenTests.open(folder.path("other.txt")).status == 0)
        #expect(eventually { printed.text.withLock { $0.contains("freed\n") } }, "\(printed.text.withLock { $0 })")
        #expect(try FileOpenTests.open(folder.path("test.txt")).status == 0)
        #expect(client.exitStatus(within: .seconds(20)) == 0, "\(printed.text.withLock { $0 })")
        let output = printed.text.withLock { $0 }
        #expect(output.contains("ok its descriptor was dropped: 0x80070004\n"), "\(output)")
        #expect(output.contains("at its descriptor limit (RLIMIT_NOFILE)"), "\(output)")
        #expect(output.contains("read secret\n"), "\(output)")
        #expect(output.hasSuffix("0 failed\n"), "\(output)")
        let returned = eventually { daemon.openDescriptorCount == before }
        print("descriptor count, libfltlib client at its limit: \(before) before, \(daemon.openDescriptorCount) after")
        #expect(returned, "fds \(before) before, \(daemon.openDescriptorCount) after")
    }

    @Test("FilterSendMessageWithDescriptors at the descriptor limit: 0x80070004 with the output, then the descriptor")
    func sendAtDescriptorLimit() throws {
        let daemon = try Daemon()
        let before = daemon.settledDescriptorCount
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fltlib-limit-\(getpid())").path
        try Data("file bytes at the limit".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let result = try Self.run("flt_descriptors", ["limit-send", "--port", daemon.port, path])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("ok the result's descriptor was dropped: 0x80070004\n"))
        #expect(result.standardOutput.contains("output at the limit file bytes at the limit\n"))
        #expect(result.standardOutput.contains("through file\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        #expect(
            eventually { daemon.openDescriptorCount == before },
            "fds \(before) before, \(daemon.openDescriptorCount) after"
        )
    }

    @Test(
        "a cut MESSAGE: the descriptor that did come is closed, the next MESSAGE gets its own; a whole set stops before the next one's cut"
    )
    func cutMessageKeepsNoneAndTakesNoneOfTheNext() throws {
        let port = Binaries.uniquePortName("fdcut")
        // After the client's SEND (it then has room for one descriptor): MESSAGE A with a pipe's write end and a
        // file (the write end fits, the file is dropped), then, once the pipe reads end of file (the client
        // closed A's write end: this server closed its own), MESSAGE B with another file. After the next SEND
        // (room for one again), at once: G's first bytes with its file, G's last bytes, H with another file.
        let server = try Self.fakeServer(
            port: port,
            serving: """
                import select
                c.recv(64)
                c.sendall(struct.pack("<IHHQI", 4, 2, 0, 0, 0))
                ident = struct.unpack("<Q", c.recv(64)[8:16])[0]
                def temporary(text):
                    f = tempfile.TemporaryFile(); f.write(text); f.flush(); return f
                a, b = temporary(b"file A"), temporary(b"file B")
                rights = lambda fds: [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i" * len(fds), *fds))]
                r, w = os.pipe()
                c.sendall(struct.pack("<IHHQI", 4, 4, 0, ident, 0))
                c.sendmsg([struct.pack("<IHHQI", 8, 5, 2, 7, 0) + b"AAAA"], rights([w, a.fileno()]))
                os.close(w)
                ready, _, _ = select.select([r], [], [], 10)
                print("A's descriptor", "closed" if ready and os.read(r, 1) == b"" else "open", flush=True)
                c.sendmsg([struct.pack("<IHHQI", 8, 5, 1, 8, 0) + b"BBBB"], rights([b.fileno()]))
                ident = struct.unpack("<Q", c.recv(64)[8:16])[0]
                c.sendall(struct.pack("<IHHQI", 4, 4, 0, ident, 0))
                g, h = temporary(b"file G"), temporary(b"file H")
                frame = struct.pack("<IHHQI", 8, 5, 1, 9, 0) + b"GGGG"
                c.sendmsg([frame[:20]], rights([g.fileno()]))
                c.sendall(frame[20:])
                c.sendmsg([struct.pack("<IHHQI", 8, 5, 1, 10, 0) + b"HHHH"], rights([h.fileno()]))
                c.recv(64)
                """
        )
        defer { _ = server.stop(SIGKILL) }
        let printed = server.collectOutput()
        let result = try Self.run("flt_descriptors", ["limit-cut", "--port", port])
        #expect(result.standardOutput.contains("ok cut: 0x80070004, none\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("read file B\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("read file G\nok message H arrives without its\nok cut: 0x80070004"))
        #expect(result.standardOutput.contains("ok the room for one descriptor is free again\n"))
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(
            eventually { printed.text.withLock { $0.contains("A's descriptor closed\n") } },
            "\(printed.text.withLock { $0 })"
        )
    }
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// The Swift client at its descriptor limit (docs/protocol.md section 12, "Reading after MSG_CTRUNC"), in
/// `minifltctl listen --read`, whose limit the test sets from outside: a MESSAGE whose descriptors only partly
/// fit arrives without them, the one that fitted is closed, and the next MESSAGE gets its own.
@Suite("The Swift client at its descriptor limit")
struct ClientDescriptorLimitTests {
    @Test("a cut MESSAGE: the descriptor that did come is closed, and the next MESSAGE gets its own, not that one")
    func cutMessageKeepsNoneAndTakesNoneOfTheNext() throws {
        let port = Binaries.uniquePortName("swiftcut")
        let flags = FileManager.default.temporaryDirectory.appendingPathComponent("swiftcut-\(getpid())").path
        defer { unlink(flags + ".a") }
        defer { unlink(flags + ".b") }
        // MESSAGE A (file "A") with a pipe's write end and a file once the test made room for one descriptor
        // only (the write end fits, the file is dropped); then, when the test raised the limit again, MESSAGE B
        // (file "B") with another file. Paths in UTF-16LE, minifltctl's default.
        let server = try FltLibTests.fakeServer(
            port: port,
            serving: """
                import select, time
                c.recv(64)
                c.sendall(struct.pack("<IHHQI", 4, 2, 0, 0, 0))
                print("connected", flush=True)
                def temporary(text):
                    f = tempfile.TemporaryFile(); f.write(text); f.flush(); return f
                rights = lambda fds: [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i" * len(fds), *fds))]
                def wait_for(path):
                    while not os.path.exists(path): time.sleep(0.01)
                def message(ident, name, fds):
                    body = name.encode("utf-16-le") + b"\\0\\0"
                    c.sendmsg([struct.pack("<IHHQI", 4 + len(body), 5, len(fds), ident, 4) + body], rights(fds))
                def answer_reply():
                    c.sendall(struct.pack("<IHHQI", 4, 7, 0, struct.unpack("<Q", c.recv(64)[8:16])[0], 0))
                a, b = temporary(b"file A"), temporary(b"file B")
                r, w = os.pipe()
                wait_for("\(flags).a")
                message(7, "A", [w, a.fileno()])
                os.close(w)
                ready, _, _ = select.select([r], [], [], 10)
                print("A's descriptor", "closed" if ready and os.read(r, 1) == b"" else "open", flush=True)
                answer_reply()
                wait_for("\(flags).b")
                message(8, "B", [b.fileno()])
                answer_reply()
                c.recv(64)
                """
        )
        defer { _ = server.stop(SIGKILL) }
        let served = server.collectOutput()
        let listener = try ChildProcess(
            Binaries.minifltctl.path,
            ["listen", "--port", port, "--read", "16"],
            mergeStandardOutput: true
        )
        let printed = listener.collectOutput()
        defer { _ = listener.stop(SIGKILL) }
        #expect(eventually { served.text.withLock { $0.contains("connected\n") } }, "\(served.text.withLock { $0 })")

        let free = try lowestFreeDescriptor(of: listener.pid)
        #expect(try setDescriptorLimit(of: listener.pid, to: free + 1))
        #expect(FileManager.default.createFile(atPath: flags + ".a", contents: nil))
        #expect(
            eventually {
                printed.text.withLock { $0.contains("A: (descriptor lost: the 2 descriptor(s) of message 7") }
            },
            "\(printed.text.withLock { $0 })"
        )
        #expect(printed.text.withLock { $0.contains("(HRESULT = 0x80070004))\n") })
        #expect(
            eventually { served.text.withLock { $0.contains("A's descriptor closed\n") } },
            "\(served.text.withLock { $0 })"
        )
        #expect(try lowestFreeDescriptor(of: listener.pid) == free, "the descriptor that fitted was kept")

        #expect(try setDescriptorLimit(of: listener.pid, to: 1024))
        #expect(FileManager.default.createFile(atPath: flags + ".b", contents: nil))
        #expect(
            eventually { printed.text.withLock { $0.contains("B: \"file B\"\n") } },
            "\(printed.text.withLock { $0 })"
        )
        #expect(listener.process.isRunning, "the listener lost its connection: \(printed.text.withLock { $0 })")
    }
}

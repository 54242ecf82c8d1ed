// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// libfltlib (fltUser.h) against the real daemon, through C and C++ programs built with
/// `pkg-config --cflags --libs fltlib` against an installed copy (fltlib/tests).
@Suite("libfltlib: C and C++ clients against minifltd")
struct FltLibTests {
    static func run(
        _ program: String,
        _ arguments: [String],
        environment: [String: String]? = nil
    ) throws -> ProcessResult {
        try runProgram(try FltLibPrograms.path(program), arguments, environment: environment)
    }

    /// A root listener in Python at `port` that accepts one client as `c` and runs `serving` (the modules
    /// os, socket, struct, sys and tempfile imported); it is listening when this returns.
    static func fakeServer(port: String, serving: String) throws -> ChildProcess {
        let script = """
            import os, socket, struct, sys, tempfile
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(b"\\0" + sys.argv[1].lower().encode())
            s.listen(1)
            print("ready", flush=True)
            c, _ = s.accept()

            """ + serving
        let server = try ChildProcess("/usr/bin/python3", ["-c", script, port], mergeStandardOutput: true)
        #expect(eventually { isListening("@" + port.lowercased()) })
        return server
    }

    @Test("hello: FilterSendMessage of a USER_TO_FLT prints Hello, User, and the daemon reads the UTF-32 text")
    func hello() throws {
        let daemon = try Daemon()
        let result = try Self.run("flt_send", ["--port", daemon.port, "Hello, MiniFilter"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "Hello, User\n")
        #expect(daemon.waitForLog("Data: Hello, MiniFilter"), "\(daemon.tail)")
    }

    @Test("a reply buffer that is not a USER_TO_FLT_REPLY gets no bytes: No reply")
    func noReply() throws {
        let daemon = try Daemon()
        let result = try Self.run("flt_send", ["--port", daemon.port, "--capacity", "100", "Hello"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "No reply\n")
    }

    @Test("uid 65534 against the default descriptor: 0x80070005, explained")
    func accessDenied() throws {
        let daemon = try Daemon()
        let result = try runProgram(
            "/usr/bin/setpriv",
            [
                "--reuid", "65534", "--regid", "65534", "--clear-groups", try FltLibPrograms.path("flt_send"),
                "--port", daemon.port, "Hello",
            ]
        )
        #expect(result.status == 1)
        #expect(
            result.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x80070005)\n"),
            "\(result.standardError)"
        )
        #expect(result.standardError.contains("permission descriptor"))
        #expect(daemon.waitForLog("event=access-denied"))
    }

    @Test("a port name with letters glibc 2.36 does not lowercase (U+A7CB, Garay U+10D50): libfltlib reaches it")
    func newerLettersInThePortName() throws {
        let daemon = try Daemon(port: Binaries.uniquePortName("\u{A7CB}X\u{10D50}"))
        // flt_send reads its arguments in the locale's encoding.
        let result = try Self.run("flt_send", ["--port", daemon.port, "Hello"], environment: ["LC_ALL": "C.UTF-8"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "Hello, User\n")
    }

    @Test("no port listening: 0x80070002")
    func portMissing() throws {
        let result = try Self.run("flt_send", ["--port", Binaries.uniquePortName("missing"), "Hello"])
        #expect(result.status == 1)
        #expect(
            result.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x80070002)\n"),
            "\(result.standardError)"
        )
    }

    @Test("over max-connections: 0x800704D6")
    func connectionLimit() throws {
        let daemon = try Daemon()
        let held = try FilterPort.connect(to: daemon.port)
        defer { held.close() }
        let result = try Self.run("flt_send", ["--port", daemon.port, "Hello"])
        #expect(result.status == 1)
        #expect(
            result.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x800704d6)\n"),
            "\(result.standardError)"
        )
    }

    @Test("a listener that is neither root nor in FLTLIB_SERVER_UIDS: 0x80070274, and trusted when listed")
    func impostor() throws {
        let impostor = try Impostor()
        defer { impostor.stop() }
        let port = impostor.port
        #expect(impostor.waitUntilListening())
        let refused = try Self.run("flt_send", ["--port", port, "Hello"])
        #expect(
            refused.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x80070274)\n"),
            "\(refused.standardError)"
        )
        #expect(refused.standardError.contains("runs as uid 65534"))
        let trusted = try Self.run(
            "flt_send",
            ["--port", port, "Hello"],
            environment: ["FLTLIB_SERVER_UIDS": "1000,65534"]
        )
        #expect(trusted.standardOutput == "Hello, User\n", "\(trusted.standardError)")
    }

    @Test("16 threads share one handle; every result reaches the thread that sent it")
    func threadsShareOneHandle() throws {
        let daemon = try Daemon(arguments: ["--log-level", "warning"])
        let result = try Self.run("flt_threads", ["--port", daemon.port, "16", "300"])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("16 threads x 300 sends on one handle: 0 failed"))
    }

    @Test(
        "the API's edges: arguments, made-up and closed handles, OVERLAPPED, polling, late replies, close while waiting"
    )
    func apiEdges() throws {
        let daemon = try Daemon(arguments: ["--max-connections", "4"])
        let result = try Self.run("flt_api", ["--port", daemon.port])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(!result.standardOutput.contains("FAIL"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("0 failed"))
    }

    @Test(
        "the get/reply loop blocks test.txt and lets other.txt open",
        arguments: [["--small-buffer-first"], ["--threads", "2"], ["--poll"]]
    )
    func getReplyLoop(mode: [String]) throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path])
        let listener = try ChildProcess(
            try FltLibPrograms.path("flt_listen"),
            ["--port", daemon.port, "--block", "test.txt"] + mode + ["2"],
            mergeStandardOutput: true
        )
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))

        let blocked = try FileOpenTests.open(folder.path("test.txt"))
        #expect(blocked.status == 1)
        #expect(blocked.standardError.contains("Operation not permitted"), "\(blocked.standardError)")
        let allowed = try FileOpenTests.open(folder.path("other.txt"))
        #expect(allowed.standardOutput == "fine\n")
        #expect(listener.waitForExit() == 0)
        let printed = listener.readRemainingOutput()
        #expect(
            printed == "listening\n\(folder.path("test.txt")) will be blocked\n\(folder.path("other.txt"))\n",
            "\(printed)"
        )
    }

    @Test("24 threads wait in FilterGetMessage: each message, sent one at a time, wakes only the threads it needs")
    func messagesDoNotWakeEveryWaitingThread() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        // Every open is asked (no cache), and each is answered before the next begins.
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-cache", "false"])
        let listener = try ChildProcess(
            try FltLibPrograms.path("flt_listen"),
            ["--port", daemon.port, "--threads", "24", "--count-switches", "40"],
            mergeStandardOutput: true
        )
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        for _ in 0..<40 {
            #expect(try FileOpenTests.open(folder.path("other.txt")).standardOutput == "fine\n")
        }
        // flt_listen fails when the 24 threads made 24 * 40 / 2 voluntary switches or more: a broadcast to every
        // waiting thread makes about 24 * 40 * 2, a wake-up of only the threads a message needs 4 to 5 per message
        // (and one each to start and end).
        let status = listener.waitForExit()
        let printed = listener.readRemainingOutput()
        #expect(status == 0, "\(printed)")
        #expect(printed.contains("24 threads made "), "\(printed)")
    }

    @Test("the seed-style C++ client: wcout of Hello, User, then it blocks test.txt")
    func seedClient() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path])
        let client = try ChildProcess(try FltLibPrograms.path("seed_client"), [daemon.port], mergeStandardOutput: true)
        defer { _ = client.stop(SIGKILL) }
        let printed = client.collectOutput()
        #expect(eventually { printed.text.withLock { $0 == "Hello, User\n" } }, "\(printed.text.withLock { $0 })")

        #expect(try FileOpenTests.open(folder.path("test.txt")).status == 1)
        #expect(try FileOpenTests.open(folder.path("other.txt")).status == 0)
        let expected = "Hello, User\n\(folder.path("test.txt")) will be blocked\n"
        #expect(eventually { printed.text.withLock { $0 == expected } }, "\(printed.text.withLock { $0 })")
        #expect(daemon.waitForLog("blocked by the client"))
        // The client runs until it is stopped, as the seed's does; children of the test inherit a blocked
        // SIGTERM (Foundation spawns them from a thread that blocks it), so it is killed.
        #expect(client.stop(SIGKILL) == SIGKILL)
        #expect(daemon.waitForLog("disconnect with this filter"))
    }

    @Test(
        "overlapped requests as Windows programs make them (flt_overlapped): the seed's event loop, the scanner's completion port, cancels, 10,000 gets, 64 sends in flight",
        arguments: ["seed", "scanner", "cancel", "loop", "send"]
    )
    func overlapped(mode: String) throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        // Every open is asked (no cache: the loop opens one file 10,000 times and answers each), and the scanner
        // mode's 20 opens at once all fit in flight.
        let daemon = try Daemon(arguments: [
            "--watch", folder.url.path, "--log-level", "warning", "--verdict-cache", "false",
            "--max-opens-in-flight", "64",
        ])
        let result = try Self.run("flt_overlapped", ["--port", daemon.port, mode, folder.url.path])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(!result.standardOutput.contains("FAIL"), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        if mode == "seed" {
            #expect(result.standardOutput.contains("FilterGetMessage was finished!!! (\(folder.path("test.txt")))\n"))
        }
    }

    @Test("the server goes with overlapped gets pending: each ends with 0x80070006, its event set, its packet queued")
    func overlappedGetsWhenTheServerGoes() throws {
        let daemon = try Daemon(arguments: ["--log-level", "warning"])
        let client = try ChildProcess(
            try FltLibPrograms.path("flt_overlapped"),
            ["--port", daemon.port, "disconnect"],
            mergeStandardOutput: true
        )
        defer { _ = client.stop(SIGKILL) }
        let printed = client.collectOutput()
        #expect(eventually { printed.text.withLock { $0.contains("pending\n") } }, "\(printed.text.withLock { $0 })")
        _ = daemon.terminate()
        #expect(client.exitStatus(within: .seconds(10)) == 0, "\(printed.text.withLock { $0 })")
        #expect(eventually { printed.text.withLock { $0.hasSuffix("0 failed\n") } }, "\(printed.text.withLock { $0 })")
        #expect(!printed.text.withLock { $0.contains("FAIL") }, "\(printed.text.withLock { $0 })")
    }

    @Test("a server that sends garbage ends the connection with E_HANDLE, not a crash")
    func garbageFromServer() throws {
        let port = Binaries.uniquePortName("garbage")
        // A root listener that answers CONNECT, then writes a frame with an unknown type.
        let server = try Self.fakeServer(
            port: port,
            serving: """
                c.recv(64)
                c.sendall(struct.pack("<IHHQI", 4, 2, 0, 0, 0))
                c.recv(8192)
                c.sendall(struct.pack("<IHHQI", 4, 99, 0, 1, 0))
                c.recv(8192)
                """
        )
        defer { _ = server.stop(SIGKILL) }
        let result = try Self.run("flt_send", ["--port", port, "Hello"])
        #expect(result.status == 1)
        #expect(
            result.standardError.hasPrefix("FilterSendMessage failed (HRESULT = 0x80070006)\n"),
            "\(result.standardError)"
        )
        #expect(result.standardError.contains("an unknown frame type"), "\(result.standardError)")
    }

    @Test("FilterSendMessageWithDescriptors: the routine reads the file, its descriptor comes back; the edges")
    func sendWithDescriptors() throws {
        let daemon = try Daemon(arguments: ["--max-connections", "2"])
        let before = daemon.settledDescriptorCount
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fltlib-fd-\(getpid())").path
        try Data("file bytes for fltlib".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let result = try Self.run("flt_descriptors", ["send", "--port", daemon.port, path])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("output file bytes for fltlib\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("through file\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("ok 254 descriptors: E_INVALIDARG"), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        #expect(
            eventually { daemon.openDescriptorCount == before },
            "fds \(before) before, \(daemon.openDescriptorCount) after"
        )
    }

    @Test("FilterGetMessageDescriptors and FilterReplyMessageWithDescriptors; a wrong count ends the handle")
    func getWithDescriptors() throws {
        let port = Binaries.uniquePortName("fdserver")
        // A root listener that sends MESSAGE with a file's descriptor, checks the REPLY brings one back that
        // reads the same, then sends a MESSAGE that announces 2 descriptors and passes 1.
        let server = try Self.fakeServer(
            port: port,
            serving: """
                connect = c.recv(64)
                assert struct.unpack("<I", connect[20:24])[0] == 0x100, connect
                c.sendall(struct.pack("<IHHQI", 4, 2, 0, 0, 0))
                f = tempfile.TemporaryFile(); f.write(b"from the filter"); f.flush()
                rights = lambda fds: [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i" * len(fds), *fds))]
                c.sendmsg([struct.pack("<IHHQI", 8, 5, 1, 7, 4) + b"abcd"], rights([f.fileno()]))
                data, anc, flags, _ = c.recvmsg(64, socket.CMSG_SPACE(16))
                kind, fl, ident = struct.unpack("<IHHQ", data[:16])[1:]
                fds = [struct.unpack("i", raw[:4])[0] for _, _, raw in anc]
                print("reply", kind, fl, ident, len(fds), os.pread(fds[0], 4, 0).decode() if fds else "-", flush=True)
                c.sendall(struct.pack("<IHHQI", 4, 7, 0, 7, 0))
                c.sendmsg([struct.pack("<IHHQI", 8, 5, 2, 8, 4) + b"abcd"], rights([f.fileno()]))
                c.recv(64)
                """
        )
        defer { _ = server.stop(SIGKILL) }
        let result = try Self.run("flt_descriptors", ["get", "--port", port])
        #expect(result.standardOutput.contains("read from the filter\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("ok a reply with 254 descriptors"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("get ended 0x80070006"), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        let printed = server.collectOutput()
        #expect(
            eventually { printed.text.withLock { $0.contains("reply 6 1 7 1 from\n") } },
            "\(printed.text.withLock { $0 })"
        )
    }
}

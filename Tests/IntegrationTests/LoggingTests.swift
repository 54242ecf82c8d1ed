// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// The daemon's log as shipped: it never slows the port or a verdict, never floods the journal, and never
/// vanishes without a word. Every case runs the real daemon binary against real sinks (a standalone
/// systemd-journald, pipes nobody reads, a journal socket file nobody listens on).
@Suite("Logging under load, with blocked sinks and an absent journal")
struct LoggingTests {
    @Test("100,000 messages through the default daemon: a bounded number of journal entries, and the summaries add up")
    func journalUnderLoad() throws {
        let journald = try Journald.acquire()
        defer { journald.release() }
        let port = Binaries.uniquePortName("flood")
        // Every option as shipped but the port: stderr is a pipe and journald listens, so `auto` picks the journal.
        let daemon = try ChildProcess(Binaries.minifltd.path, ["--port", port])
        defer { _ = daemon.stop(SIGKILL) }
        #expect(eventually { isListening("@" + port.lowercased()) })
        let sent = try runProgram(
            Binaries.minifltctl.path,
            ["send", "--port", port, "--repeat", "100000", "Hello"],
            within: .seconds(120)
        )
        #expect(sent == 0)
        #expect(daemon.stop(SIGTERM) == 0)

        var entries: [[String: String]] = []
        #expect(
            eventually(timeout: .seconds(10)) {
                entries = journalEntries(port: port)
                return entries.contains { $0["MINIFLT_EVENT"] == "stopped" }
            },
            "\(entries.map { $0["MESSAGE"] ?? "" })"
        )
        let summaries = entries.filter { $0["MINIFLT_EVENT"] == "activity-summary" }
        let summed = summaries.compactMap { Int($0["MINIFLT_MESSAGES"] ?? "") }.reduce(0, +)
        #expect(summed == 100_000, "\(summaries.map { $0["MESSAGE"] ?? "" })")
        #expect(summaries.compactMap { Int($0["MINIFLT_FOLDED"] ?? "") }.reduce(0, +) == 100_000 - 10)
        // The seed's two lines for each of the connection's first 10 messages, and a handful of others.
        #expect(entries.filter { $0["MINIFLT_EVENT"] == "message" }.count == 20)
        #expect(entries.count <= 40, "\(entries.count) entries: \(entries.map { $0["MESSAGE"] ?? "" })")
    }

    @Test("a person sees a connection's first 10 messages one by one, then a summary of the rest")
    func firstMessagesThenSummary() throws {
        let daemon = try Daemon(arguments: ["--log-level", "info", "--log-summary-interval", "0.3"])
        let client = try FilterPort.connect(to: daemon.port)
        for index in 1...25 { _ = try client.send(userToFilter("Hello \(index)"), outputCapacity: 4096) }
        #expect(daemon.waitForLog("event=activity-summary"), "\(daemon.tail)")
        #expect(daemon.count("send data to this filter") == 10)
        #expect(daemon.output.contains("Data: Hello 10"))
        #expect(!daemon.output.contains("Data: Hello 11"))
        #expect(daemon.output.contains("messages=25 "), "\(daemon.tail)")
        #expect(daemon.output.contains("15 of these not logged one by one"), "\(daemon.tail)")
        client.close()
        #expect(daemon.terminate() == 0)
    }

    @Test(
        "a stderr pipe nobody reads: the daemon keeps serving, the watchdog keeps pinging, and the dropped count is logged once it drains"
    )
    func stderrNobodyReads() throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        let port = Binaries.uniquePortName("unread")
        let daemon = try ChildProcess(
            Binaries.minifltd.path,
            ["--port", port, "--log-target", "console", "--log-level", "debug"],
            environment: ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "300000"]
        )
        defer { _ = daemon.stop(SIGKILL) }
        #expect(listener.waitFor("READY=1"))
        // At debug every message logs two lines: 20,000 messages are megabytes, far more than the pipe (64 KiB)
        // and the log queue hold. A daemon that waited for its log would stall here for good.
        #expect(
            try runProgram(
                Binaries.minifltctl.path,
                ["send", "--port", port, "--repeat", "20000", "Hello"],
                within: .seconds(60)
            ) == 0
        )
        let blocked = ContinuousClock.now
        Thread.sleep(forTimeInterval: 0.8)
        #expect(
            listener.received(after: blocked).contains("WATCHDOG=1"),
            "no watchdog ping while the log sink was blocked"
        )

        let output = daemon.collectOutput()
        #expect(eventually(timeout: .seconds(10)) { output.text.withLock { $0.contains("event=log-dropped") } })
        let text = output.text.withLock { $0 }
        let dropped = text.split(separator: "\n").filter { $0.contains("event=log-dropped") }
            .compactMap { $0.split(separator: " dropped=").last?.split(separator: " ").first.flatMap { Int($0) } }
        #expect(!dropped.isEmpty && dropped.allSatisfy { $0 > 0 }, "\(dropped)")
        #expect(daemon.stop(SIGTERM) == 0)
    }

    @Test(
        "--log-target journal with a stale journal socket: one warning and every line on stderr, then the journal again once it listens"
    )
    func staleJournalSocket() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "minifltd-journal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("socket").path
        // A socket file nobody listens on, as a stopped journald leaves behind: bound, then the binder exits.
        #expect(try runProgram("/usr/bin/python3", ["-c", Self.bindDatagram, path, "exit"]).status == 0)

        let daemon = try Daemon(
            arguments: ["--log-level", "info", "--log-target", "journal"],
            environment: ["MINIFLTD_JOURNAL_SOCKET": path]
        )
        #expect(daemon.waitForLog("cannot write to the journal at \(path)"), "\(daemon.tail)")
        #expect(daemon.waitForLog("listening on @"), "\(daemon.tail)")
        #expect(daemon.count("cannot write to the journal") == 1)

        // journald comes back: something listens at the path again.
        unlink(path)
        let journal = try ChildProcess(
            "/usr/bin/python3",
            ["-u", "-c", Self.bindDatagram, path, "print"],
            mergeStandardOutput: true
        )
        defer { _ = journal.stop(SIGKILL) }
        let received = journal.collectOutput()
        #expect(eventually { received.text.withLock { $0.contains("ready") } })
        Thread.sleep(forTimeInterval: 1.1)  // the writer tries the journal again at most once a second
        let client = try FilterPort.connect(to: daemon.port)
        client.close()
        #expect(
            eventually { received.text.withLock { $0.contains("MESSAGE=User-mode application") } },
            "\(received.text.withLock { $0 })"
        )
        #expect(received.text.withLock { $0.contains("SYSLOG_IDENTIFIER=minifltd") })
        #expect(daemon.waitForLog("takes entries again"), "\(daemon.tail)")
        #expect(daemon.terminate() == 0)
    }

    @Test("a NOTIFY_SOCKET whose queue is full: the daemon keeps serving and still stops on SIGTERM")
    func notifySocketFull() throws {
        let name = "minifltd-test-stuck-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // Binds and never reads: after net.unix.max_dgram_qlen datagrams, a blocking send would wait forever.
        let stuck = try ChildProcess(
            "/usr/bin/python3",
            ["-u", "-c", Self.bindDatagram, "@" + name, "sleep"],
            mergeStandardOutput: true
        )
        defer { _ = stuck.stop(SIGKILL) }
        let ready = stuck.collectOutput()
        #expect(eventually { ready.text.withLock { $0.contains("ready") } })

        // A watchdog of 2 ms makes the daemon notify every millisecond: the queue is full within a second.
        let daemon = try Daemon(environment: ["NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "2000"])
        Thread.sleep(forTimeInterval: 2)
        let client = try FilterPort.connect(to: daemon.port)
        #expect(
            WideString.decode(try client.send(userToFilter("Hello"), outputCapacity: 4096), as: .utf16) == "Hello, User"
        )
        client.close()
        kill(daemon.pid, SIGTERM)
        #expect(
            eventually(timeout: .seconds(5)) { !daemon.isRunning },
            "SIGTERM did not stop a daemon whose notify socket is full"
        )
    }

    @Test("a client's text cannot forge a log line or reach the terminal raw")
    func clientTextEscaped() throws {
        let daemon = try Daemon(arguments: ["--log-level", "info"])
        let client = try FilterPort.connect(to: daemon.port)
        let forged = "x\n2026-12-04T19:49:21+0000 warning minifltd: event=access-denied [minifltd] forged\u{1B}[2J"
        _ = try client.send(userToFilter(forged), outputCapacity: 4096)
        client.close()
        #expect(daemon.waitForLog("disconnect with this filter"))
        #expect(
            daemon.output.contains(
                "Data: x\\n2026-12-04T19:49:21+0000 warning minifltd: event=access-denied [minifltd] forged\\x1B[2J"
            ),
            "\(daemon.tail)"
        )
        #expect(!daemon.output.split(separator: "\n").contains { $0.hasPrefix("2026-12-04T19:49:21+0000 warning") })
        #expect(!daemon.output.contains("\u{1B}"))
        #expect(daemon.terminate() == 0)
    }

    @Test(
        "SIGHUP, SIGUSR1, SIGUSR2, SIGALRM and a real-time signal are logged and survived; SIGTERM still stops the daemon"
    )
    func signalsSurvived() throws {
        let daemon = try Daemon(arguments: ["--log-level", "info"])
        for (signal, line) in [
            (SIGHUP, "SIGHUP: reloaded the configuration: nothing changed"),
            (SIGUSR1, "SIGUSR1: listening on @"), (SIGUSR2, "SIGUSR2: listening on @"),
            (SIGALRM, "SIGALRM: ignored"), (SIGRTMIN_PLUS_2, "SIGRTMIN+2: ignored"),
        ] {
            kill(daemon.pid, signal)
            #expect(daemon.waitForLog(line), "\(line)\n\(daemon.tail)")
        }
        #expect(daemon.isRunning)
        let client = try FilterPort.connect(to: daemon.port)
        #expect(
            WideString.decode(try client.send(userToFilter("Hello"), outputCapacity: 4096), as: .utf16) == "Hello, User"
        )
        client.close()
        #expect(daemon.terminate() == 0)
    }

    @Test("SIGQUIT says so in the log, then dumps core by its default action")
    func quitLogged() throws {
        let daemon = try Daemon(arguments: ["--log-level", "info"], launcher: ["/usr/bin/prlimit", "--core=0", "--"])
        kill(daemon.pid, SIGQUIT)
        #expect(eventually(timeout: .seconds(5)) { !daemon.isRunning })
        #expect(daemon.waitForLog("SIGQUIT: exiting at once with a core dump"), "\(daemon.tail)")
    }

    /// python3 -c: bind a datagram socket at argv[1] (`@name` for an abstract one), print "ready", then
    /// argv[2]: "exit" (leave the socket file behind), "sleep" (never read) or "print" (each datagram, one line).
    static let bindDatagram = """
        import socket, sys, time
        address = sys.argv[1]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(b"\\0" + address[1:].encode() if address.startswith("@") else address)
        print("ready", flush=True)
        if sys.argv[2] == "sleep":
            time.sleep(600)
        while sys.argv[2] == "print":
            print(s.recv(1 << 20).decode(errors="replace").replace("\\n", "|"), flush=True)
        """
}

/// SIGRTMIN + 2 (SIGRTMIN is a macro that Glibc does not import).
let SIGRTMIN_PLUS_2 = SignalName.realtime.lowerBound + 2

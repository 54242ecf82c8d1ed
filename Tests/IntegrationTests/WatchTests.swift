// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// `minifltd --watch` on the MiniFltFilter library, as root on real fanotify: concurrent verdicts, clients
/// that fail, the in-flight bound, trees, mounts and the decision cache. Opens are done by child processes.
@Suite("Watched opens: concurrency, failing clients, bounds, trees, mounts and the cache")
struct WatchTests {
    typealias Folder = FileOpenTests.Folder

    /// Starts `count` cats of `path` at once; returns them with the time they started.
    static func openAtOnce(_ paths: [String]) throws -> [ChildProcess] {
        try paths.map { try ChildProcess("/bin/cat", [$0], mergeStandardOutput: true) }
    }

    @Test("SIGKILL of the daemon lets opens that wait for a verdict proceed at once")
    func sigkillReleases() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "60"])
        let silent = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        let opener = try ChildProcess("/bin/cat", [folder.path("test.txt")], mergeStandardOutput: true)
        // The open waits: the client got the path and never answers.
        guard case .message? = try silent.readFrame() else {
            Issue.record("the client got no verdict request")
            return
        }
        #expect(opener.process.isRunning)
        kill(daemon.pid, SIGKILL)
        #expect(opener.exitStatus(within: .seconds(5)) == 0, "the open still waited after the daemon died")
    }

    @Test(
        "SIGTERM closes the fanotify group first: an open waiting for a silent client proceeds, then the daemon exits 0"
    )
    func sigtermReleases() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let port = Binaries.uniquePortName("sigterm-watch")
        let daemon = try ChildProcess(
            Binaries.minifltd.path,
            ["--port", port, "--watch", folder.url.path, "--verdict-timeout", "60", "--log-target", "console"]
        )
        defer { _ = daemon.stop(SIGKILL) }
        let log = daemon.collectOutput()
        #expect(eventually { isListening("@" + port.lowercased()) })
        let silent = try RawClient.connected(port: port)
        #expect(eventually { log.text.withLock { $0.contains("connect to this filter") } })
        let opener = try ChildProcess("/bin/cat", [folder.path("test.txt")], mergeStandardOutput: true)
        guard case .message? = try silent.readFrame() else {
            Issue.record("the client got no verdict request")
            return
        }
        kill(daemon.pid, SIGTERM)
        #expect(opener.exitStatus(within: .seconds(5)) == 0, "the open still waited after SIGTERM")
        #expect(daemon.exitStatus(within: .seconds(10)) == 0)
    }

    @Test("simultaneous opens reach a client's outstanding gets at once")
    func concurrentVerdicts() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let files = try (0..<4).map { index -> String in
            let path = folder.path("c\(index).txt")
            try "c\n".write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "20"])
        let client = try FilterPort.connect(to: daemon.port)
        defer { client.close() }
        #expect(daemon.waitForLog("connect to this filter"))
        // Four threads, each holding its message until all four arrived: served one at a time, the second
        // would never come while the first waits, and the barrier would fail.
        let arrived = ConditionLock(0)
        let threads = (0..<4).map { _ in
            Thread {
                guard let message = try? client.getMessage(bufferSize: FilterMessage.headerSize + 4096) else { return }
                arrived.withLock { $0 += 1 }
                arrived.broadcast()
                _ = arrived.wait(until: MonotonicClock.now + Duration.seconds(10).nanoseconds) { $0 >= 4 ? true : nil }
                try? client.reply(to: message.messageID, [0, 0, 0, 0])
            }
        }
        for thread in threads { thread.start() }
        let openers = try Self.openAtOnce(files)
        #expect(
            arrived.wait(until: MonotonicClock.now + Duration.seconds(10).nanoseconds) { $0 >= 4 ? true : nil } == true,
            "only \(arrived.withLock { $0 }) of 4 simultaneous opens reached the client"
        )
        for opener in openers { #expect(opener.exitStatus(within: .seconds(10)) == 0) }
    }

    /// Four simultaneous opens against `client`'s silence: each waits about the deadline, all at once.
    static func expectParallelDeadlines(daemon: Daemon, folder: Folder, deadline: Duration) throws {
        let files = try (0..<4).map { index -> String in
            let path = folder.path("s\(index).txt")
            try "s\n".write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let start = ContinuousClock.now
        let openers = try Self.openAtOnce(files)
        for opener in openers { #expect(opener.exitStatus(within: deadline * 4) == 0) }
        let took = ContinuousClock.now - start
        // One after another they would take four deadlines.
        #expect(
            took >= deadline * 0.8 && took < deadline * 2.5,
            "four opens took \(took) against a deadline of \(deadline)"
        )
    }

    @Test("a client that never answers: simultaneous opens each wait the deadline, at the same time")
    func silentClientParallel() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "1"])
        let silent = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        try Self.expectParallelDeadlines(daemon: daemon, folder: folder, deadline: .seconds(1))
        #expect(daemon.waitForLog("no verdict within"))
        _ = silent
    }

    @Test("a client stopped with SIGSTOP: simultaneous opens each wait the deadline, at the same time")
    func stoppedClient() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "1"])
        let (listener, _) = try FileOpenTests.blockingListener(port: daemon.port)
        defer {
            kill(listener.pid, SIGCONT)
            _ = listener.stop(SIGKILL)
        }
        #expect(daemon.waitForLog("connect to this filter"))
        kill(listener.pid, SIGSTOP)
        try Self.expectParallelDeadlines(daemon: daemon, folder: folder, deadline: .seconds(1))
    }

    @Test("a client that dies mid-verdict: the waiting open proceeds at once, not at the deadline")
    func clientDiesMidVerdict() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "30"])
        var client: RawClient? = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        let opener = try ChildProcess("/bin/cat", [folder.path("test.txt")], mergeStandardOutput: true)
        guard case .message? = try client?.readFrame() else {
            Issue.record("the client got no verdict request")
            return
        }
        client = nil  // its socket closes, as at its death
        #expect(opener.exitStatus(within: .seconds(5)) == 0)
        #expect(daemon.waitForLog("no usable verdict"), "\(daemon.tail)")
    }

    @Test("a verdict after the deadline gets REPLY_RESULT 0xC01C0020 and is not applied; a second reply too")
    func lateAndSecondReplies() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "0.3"])
        let client = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        // Late: the open proceeded at its deadline; the block that comes after changes nothing.
        let late = try ChildProcess("/bin/cat", [folder.path("test.txt")], mergeStandardOutput: true)
        guard case .message(let lateID, 4, _)? = try client.readFrame() else {
            Issue.record("the client got no verdict request")
            return
        }
        #expect(late.exitStatus(within: .seconds(5)) == 0)
        client.write(Frame.reply(id: lateID, status: .success, body: [1, 0, 0, 0]).encoded())
        let lateResult = try client.readFrame()
        #expect(
            lateResult == .replyResult(id: lateID, status: .fltNoWaiterForReply),
            "\(String(describing: lateResult))"
        )
        // Twice: the first reply blocks the open, the second is refused and changes nothing.
        let twice = try ChildProcess("/bin/cat", [folder.path("other.txt")], mergeStandardOutput: true)
        guard case .message(let id, 4, _)? = try client.readFrame() else {
            Issue.record("the client got no verdict request")
            return
        }
        client.write(Frame.reply(id: id, status: .success, body: [1, 0, 0, 0]).encoded())
        #expect(try client.readFrame() == .replyResult(id: id, status: .success))
        client.write(Frame.reply(id: id, status: .success, body: [0, 0, 0, 0]).encoded())
        #expect(try client.readFrame() == .replyResult(id: id, status: .fltNoWaiterForReply))
        #expect(twice.exitStatus(within: .seconds(5)) == 1)
    }

    @Test(
        "a flood of opens past the in-flight bound: the excess gets --full-verdict at once (allow, or EPERM for deny), counted, and nothing hangs",
        arguments: ["allow", "deny"]
    )
    func floodPastBound(fullVerdict: String) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(
            arguments: [
                "--watch", folder.url.path, "--verdict-timeout", "3", "--max-opens-in-flight", "2", "--full-verdict",
                fullVerdict,
            ]
        )
        let silent = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        let files = try (0..<12).map { index -> String in
            let path = folder.path("flood\(index).txt")
            try "f\n".write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let openers = try Self.openAtOnce(files)
        // Two wait for the silent client's deadline (3 s) and get its allow; the other ten are answered on arrival.
        #expect(eventually(timeout: .seconds(2)) { openers.filter { !$0.process.isRunning }.count >= 10 })
        let statuses = openers.map { $0.exitStatus(within: .seconds(10)) }
        #expect(statuses.filter { $0 == 0 }.count == (fullVerdict == "deny" ? 2 : 12), "\(statuses)")
        #expect(statuses.filter { $0 == 1 }.count == (fullVerdict == "deny" ? 10 : 0), "\(statuses)")
        kill(daemon.pid, SIGUSR1)
        #expect(daemon.waitForLog("past the bound 10"), "\(daemon.tail)")
        _ = silent
    }

    @Test("reads of the fanotify group that fail (injected ENOMEM) are retried: opens are still decided, and counted")
    func readFaults() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(
            arguments: ["--watch", folder.url.path, "--log-level", "info"],
            environment: ["MINIFLT_INJECT_FAULTS": "read(fanotify)=ENOMEM*3"]
        )
        let (listener, _) = try FileOpenTests.blockingListener(port: daemon.port)
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        #expect(try runProgram("/bin/cat", [folder.path("test.txt")], within: .seconds(5)) == 1)
        #expect(try runProgram("/bin/cat", [folder.path("other.txt")], within: .seconds(5)) == 0)
        kill(daemon.pid, SIGUSR1)
        #expect(daemon.waitForLog("fanotify read errors 3"), "\(daemon.tail)")
    }

    @Test("a kernel that refuses a mark's flag (injected EINVAL) stops the daemon with a message naming the flag")
    func kernelLacksFlag() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let result = try runProgram(
            Binaries.minifltd.path,
            [
                "--port", Binaries.uniquePortName("noflag"), "--watch-filesystem", folder.url.path, "--log-target",
                "console",
            ],
            environment: ProcessInfo.processInfo.environment.merging(["MINIFLT_INJECT_FAULTS": "fanotify_mark=EINVAL"])
            {
                $1
            }
        )
        #expect(result.status == 2)
        #expect(result.standardError.contains("FAN_MARK_FILESYSTEM needs Linux 4.20"), "\(result.standardError)")
    }

    @Test("--watch-tree: a file in a directory made while watched is blocked by the client")
    func tree() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch-tree", folder.url.path, "--log-level", "info"])
        let (listener, _) = try FileOpenTests.blockingListener(port: daemon.port)
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        let deep = folder.url.appendingPathComponent("new/deeper")
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        // Written under another name (the listener would block the writer's own open of test.txt), then renamed.
        try "secret\n".write(to: deep.appendingPathComponent("secret.tmp"), atomically: false, encoding: .utf8)
        #expect(
            rename(deep.appendingPathComponent("secret.tmp").path, deep.appendingPathComponent("test.txt").path) == 0
        )
        #expect(
            eventually { (try? runProgram("/bin/cat", [deep.appendingPathComponent("test.txt").path]).status) == 1 },
            "\(daemon.tail)"
        )
    }

    @Test("--watch-mount and --watch-filesystem on a tmpfs of the test's own: its files are asked about")
    func mountAndFilesystem() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let mountPoint = folder.path("tmpfs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        #expect(try runProgram("/bin/mount", ["-t", "tmpfs", "minifltd-test", mountPoint]).status == 0)
        defer { _ = try? runProgram("/bin/umount", ["--lazy", mountPoint]) }
        try "secret\n".write(toFile: mountPoint + "/test.txt", atomically: false, encoding: .utf8)
        for option in ["--watch-mount", "--watch-filesystem"] {
            let daemon = try Daemon(arguments: [option, mountPoint, "--log-level", "info"])
            let (listener, _) = try FileOpenTests.blockingListener(port: daemon.port)
            #expect(daemon.waitForLog("connect to this filter"))
            #expect(try runProgram("/bin/cat", [mountPoint + "/test.txt"]).status == 1, "\(option)")
            #expect(try runProgram("/bin/cat", [folder.path("test.txt")]).status == 0, "\(option) saw another mount")
            _ = listener.stop(SIGKILL)
            _ = daemon
        }
    }

    @Test("an open allowed at its deadline is not cached: the file's next open asks the client again")
    func timeoutNotCached() throws {
        let folder = try Folder()
        defer { folder.remove() }
        // The default options: the cache is on.
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--verdict-timeout", "0.3"])
        let client = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        let file = folder.path("slow.txt")
        try "slow\n".write(toFile: file, atomically: false, encoding: .utf8)
        let first = try ChildProcess("/bin/cat", [file], mergeStandardOutput: true)
        guard case .message? = try client.readFrame() else {
            Issue.record("the client got no verdict request")
            return
        }
        #expect(first.exitStatus(within: .seconds(5)) == 0)
        // Asked again, and this time the client decides: a block.
        let second = try ChildProcess("/bin/cat", [file], mergeStandardOutput: true)
        guard case .message(let id, 4, _)? = try client.readFrame() else {
            Issue.record("the file was cached after a timeout: its second open was not asked")
            return
        }
        client.write(Frame.reply(id: id, status: .success, body: [1, 0, 0, 0]).encoded())
        #expect(try client.readFrame() == .replyResult(id: id, status: .success))
        #expect(second.exitStatus(within: .seconds(5)) == 1)
    }

    @Test("the cache: an allowed file is asked about once until it is written; SIGHUP and connects flush it")
    func cache() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--log-level", "info"])
        let (listener, printed) = try FileOpenTests.blockingListener(port: daemon.port)
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        let other = folder.path("other.txt")
        func asked() -> Int { printed.text.withLock { $0.components(separatedBy: other + "\n").count - 1 } }
        for _ in 0..<3 { #expect(try runProgram("/bin/cat", [other]).status == 0) }
        #expect(eventually { asked() == 1 }, "\(asked())")
        kill(daemon.pid, SIGHUP)
        #expect(daemon.waitForLog("flushed the decision cache"))
        #expect(try runProgram("/bin/cat", [other]).status == 0)
        #expect(eventually { asked() == 2 }, "\(asked())")
        // The write's own open is not asked (the file is cached for opens); the write clears the cache.
        try "changed\n".write(toFile: other, atomically: false, encoding: .utf8)
        #expect(try runProgram("/bin/cat", [other]).status == 0)
        #expect(eventually { asked() == 3 }, "a written file stayed cached: \(asked())")
        // A blocked file is never cached: each open is asked.
        for _ in 0..<2 { #expect(try runProgram("/bin/cat", [folder.path("test.txt")]).status == 1) }
        kill(daemon.pid, SIGUSR1)
        #expect(daemon.waitForLog("flushes"), "\(daemon.tail)")
    }
}

@Suite("Watch options in the configuration file")
struct WatchConfigTests {
    @Test("--check-config names a missing --watch-tree path with its file and line, and takes the watch options")
    func checkConfig() throws {
        let file = "/var/tmp/minifltd-watch-conf-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf"
        defer { unlink(file) }
        try "max-opens-in-flight = 4\nverdict-cache = false\nwatch-tree = /nonexistent/tree\n".write(
            toFile: file,
            atomically: false,
            encoding: .utf8
        )
        let result = try runProgram(Binaries.minifltd.path, ["--config", file, "--check-config"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("\(file):3: --watch-tree: /nonexistent/tree"), "\(result.standardError)")
        try "max-opens-in-flight = 4\nverdict-cache = false\nwatch-mount = /var/tmp\n".write(
            toFile: file,
            atomically: false,
            encoding: .utf8
        )
        #expect(try runProgram(Binaries.minifltd.path, ["--config", file, "--check-config"]).status == 0)
    }
}

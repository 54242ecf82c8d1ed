// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `minifltd --watch-tree` when inotify's queue overflows: the daemon is stopped (SIGSTOP, so its tree
/// thread reads nothing) while more events than the queue holds happen in the tree, and directories are made
/// and removed behind them. The machine-wide fs.inotify.max_queued_events is read, never changed.
@Suite("Watched trees: inotify's queue overflows")
struct TreeOverflowTests {
    @Test(
        "an overflow is counted, a file in a directory made during it, deepest level included, is asked about, and a directory made again under its name is counted once"
    )
    func overflow() throws {
        let queueSize = try #require(
            Int(
                try String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            )
        )
        try #require(queueSize <= 1_000_000, "max_queued_events is \(queueSize): too many events to make here")
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        #expect(mkdir(folder.path("gone"), 0o755) == 0)
        #expect(mkdir(folder.path("again"), 0o755) == 0)
        let notify = try NotifyListener()
        defer { notify.stop() }
        let daemon = try Daemon(
            arguments: ["--watch-tree", folder.url.path, "--log-level", "info"],
            environment: ["NOTIFY_SOCKET": notify.address]
        )
        let (listener, _) = try FileOpenTests.blockingListener(port: daemon.port)
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        #expect(try FileOpenTests.open(folder.path("test.txt")).status == 1)
        #expect(notify.waitFor("tree directories 3, inotify queue overflows 0"), "\(notify.received.suffix(2))")

        #expect(kill(daemon.pid, SIGSTOP) == 0)
        var resumed = false
        defer { if !resumed { kill(daemon.pid, SIGCONT) } }
        #expect(eventually { Self.isStopped(daemon.pid) })
        // Events that open nothing (a file made in a marked directory would wait for the stopped daemon):
        // symbolic links fill the queue, and what follows is lost.
        for index in 0..<(queueSize + 16) {
            #expect(symlink("test.txt", folder.path("link\(index)")) == 0)
        }
        let deepest = folder.url.appendingPathComponent("lost/a/b/c/d")
        try FileManager.default.createDirectory(at: deepest, withIntermediateDirectories: true)
        // Files made in directories not yet marked: nothing waits for the daemon.
        // Removed and made again: the old directory's IN_IGNORED is lost with the queue.
        #expect(rmdir(folder.path("again")) == 0)
        #expect(mkdir(folder.path("again"), 0o755) == 0)
        for directory in ["lost", "lost/a/b/c/d", "again"] {
            try "secret\n".write(toFile: folder.path(directory + "/test.txt"), atomically: false, encoding: .utf8)
            try "fine\n".write(toFile: folder.path(directory + "/other.txt"), atomically: false, encoding: .utf8)
        }
        #expect(rmdir(folder.path("gone")) == 0)
        #expect(Self.isStopped(daemon.pid), "the daemon ran while the queue was filled")
        resumed = true
        #expect(kill(daemon.pid, SIGCONT) == 0)

        // Counted once the walk is done: opens from here on find every directory marked.
        #expect(
            eventually(timeout: .seconds(60)) { (try? Self.treeOverflows(daemon)) == 1 },
            "\((try? Self.treeOverflows(daemon)).map(String.init) ?? "no status"); \(daemon.tail)"
        )
        for directory in ["lost", "lost/a/b/c/d", "again"] {
            let blocked = try FileOpenTests.open(folder.path(directory + "/test.txt"))
            #expect(blocked.status == 1, "\(directory)/test.txt was not asked about: \(blocked)")
            #expect(blocked.standardError.contains("Operation not permitted"), "\(blocked.standardError)")
            #expect(try FileOpenTests.open(folder.path(directory + "/other.txt")).status == 0)
        }
        // The root, lost, a, b, c and d; gone's removal was lost with the rest, and the walk forgot it.
        #expect(
            notify.waitFor("tree directories 7, inotify queue overflows 1"),
            "\(notify.received.suffix(2))"
        )
        #expect(daemon.terminate() == 0)
    }

    /// Whether `pid` is stopped (state T in /proc/PID/stat), so that its threads read nothing.
    static func isStopped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: end)...].hasPrefix(" T")
    }

    /// `verdicts.tree_overflows` of `minifltctl status --json`.
    static func treeOverflows(_ daemon: Daemon) throws -> Int? {
        let result = try runProgram(Binaries.minifltctl.path, ["status", "--port", daemon.port, "--json"])
        guard result.status == 0 else { return nil }
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        return (object?["verdicts"] as? [String: Any])?["tree_overflows"] as? Int
    }
}

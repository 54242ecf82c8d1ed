// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// minifltd in a PID namespace of its own (unshare -p -f --mount-proc, as root): processes outside it,
/// the client and the opener alike, are pid 0 to it, in fanotify's events and in the client's credentials.
/// Pid 0 stands for unknown processes: it is never exempt, so the client's exemption must not let every
/// outside open through unasked.
@Suite("PID namespaces: pid 0 is an unknown process, never an exempt one")
struct PidNamespaceTests {
    @Test(
        "a daemon in its own PID namespace: its client and the opener are both pid 0, and the open is still asked and blocked"
    )
    func pidZeroIsNeverExempt() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        // unshare --fork ignores SIGTERM while its child runs: the daemon (its child) is stopped by its own
        // pid, found in /proc, and --kill-child covers a test that ends without that.
        let daemon = try Daemon(
            arguments: ["--watch", folder.url.path, "--verdict-cache", "false"],
            launcher: ["/usr/bin/unshare", "-p", "-f", "--kill-child", "--mount-proc"]
        )
        defer {
            let children =
                (try? String(contentsOfFile: "/proc/\(daemon.pid)/task/\(daemon.pid)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, SIGTERM) }
            _ = daemon.terminate()
        }
        let (listener, printed) = try FileOpenTests.blockingListener(port: daemon.port)
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("User-mode application(0) connect"), "\(daemon.tail)")
        let blocked = try FileOpenTests.open(folder.path("test.txt"))
        #expect(blocked.status == 1, "the open was let through unasked: \(daemon.tail)")
        #expect(blocked.standardError.contains("Operation not permitted"), "\(blocked.standardError)")
        #expect(daemon.waitForLog("opened by pid 0: blocked by the client"), "\(daemon.tail)")
        #expect(eventually { printed.text.withLock { $0.contains("will be blocked") } })
        let allowed = try FileOpenTests.open(folder.path("other.txt"))
        #expect(allowed.status == 0)
    }
}

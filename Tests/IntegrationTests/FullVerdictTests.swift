// SPDX-License-Identifier: MIT
import Foundation
import MiniFltTestSupport
import Testing

/// `minifltd --full-verdict deny`: opens past `--max-opens-in-flight` fail at once instead of proceeding
/// unchecked (the default, allow, is WatchTests' flood test). As root, on real fanotify.
@Suite("--full-verdict: the answer for opens past the in-flight bound")
struct FullVerdictTests {
    @Test(
        "--full-verdict deny: a flood past a bound of 2 is denied at once with EPERM; the 2 in flight get the timeout's allow"
    )
    func denyPastBound() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: [
            "--watch", folder.url.path, "--verdict-timeout", "3", "--max-opens-in-flight", "2", "--full-verdict",
            "deny", "--verdict-cache", "false",
        ])
        let silent = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        let files = try (0..<12).map { index -> String in
            let path = folder.path("flood\(index).txt")
            try "f\n".write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }
        let openers = try WatchTests.openAtOnce(files)
        // Two wait for the silent client's deadline (3 s); the other ten are answered on arrival.
        #expect(eventually(timeout: .seconds(2)) { openers.filter { !$0.process.isRunning }.count >= 10 })
        let statuses = openers.map { $0.exitStatus(within: .seconds(10)) }
        #expect(statuses.filter { $0 == 1 }.count == 10, "\(statuses)")
        #expect(statuses.filter { $0 == 0 }.count == 2, "\(statuses)")
        kill(daemon.pid, SIGUSR1)
        #expect(daemon.waitForLog("past the bound 10"), "\(daemon.tail)")
        _ = silent
    }
}

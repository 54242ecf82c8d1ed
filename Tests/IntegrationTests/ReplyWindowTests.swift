// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import MiniFltWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The verdict timeout's edge (docs/protocol.md section 8, "the verdict timeout"): a REPLY the port answers
/// with success was applied to its open, and one that came too late gets 0xC01C0020 and changes nothing,
/// whichever of the REPLY, the port's timer and the library's deadline comes first. Each client here blocks
/// every open, so an open that proceeded was not decided by its REPLY. The same holds for minifltscan.
@Suite("Watched opens: a REPLY at the verdict timeout's edge", .serialized)
struct ReplyWindowTests {
    /// One open of `file`, answered with `reply` (a block) by `client` once `beforeReply` (given the
    /// MESSAGE's arrival) returned; then `afterReply`. The REPLY_RESULT's status and the opener's exit status.
    static func blockedOpen(
        _ file: String,
        _ client: RawClient,
        reply: [UInt8] = [1, 0, 0, 0],
        beforeReply: (ContinuousClock.Instant) -> Void,
        afterReply: () -> Void = {}
    ) throws -> (NTStatus, Int32)? {
        let opener = try ChildProcess("/bin/cat", [file], mergeStandardOutput: true)
        guard case .message(let id, _, _)? = try client.readFrame() else { return nil }
        beforeReply(ContinuousClock.now)
        client.write(Frame.reply(id: id, status: .success, body: reply).encoded())
        afterReply()
        guard case .replyResult(id, let status)? = try client.readFrame(),
            let exit = opener.exitStatus(within: .seconds(10))
        else { return nil }
        return (status, exit)
    }

    /// `minifltd --watch folder` with a verdict timeout of 0.1 s and no cache, and a client connected.
    static func watching(_ folder: FileOpenTests.Folder, tag: String = #function) throws -> (Daemon, RawClient) {
        let daemon = try Daemon(
            tag,
            arguments: ["--watch", folder.url.path, "--verdict-timeout", "0.1", "--verdict-cache", "false"]
        )
        let client = try RawClient.connected(port: daemon.port)
        #expect(daemon.waitForLog("connect to this filter"))
        return (daemon, client)
    }

    /// What the REPLY_RESULT says must be what happened to the open: success, EPERM (cat exits 1); no
    /// waiter, the open proceeded at its deadline (cat exits 0).
    static func consistent(_ outcome: (NTStatus, Int32)) -> Bool {
        switch outcome {
        case (.success, 1), (.fltNoWaiterForReply, 0): true
        default: false
        }
    }

    @Test("REPLYs swept across the timeout, 50 opens: each success failed its open, each 0xC01C0020 let it proceed")
    func sweep() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let timeout = Duration.milliseconds(100)
        let (daemon, client) = try Self.watching(folder)
        var taken = 0
        var refused = 0
        for round in 0..<50 {
            // From 10 ms before the deadline to 10 ms after, measured from the MESSAGE's arrival, which is a
            // little after the deadline's start: the REPLY is late a little earlier than its offset says.
            let offset = Duration.microseconds(-10_000 + round * 400)
            let outcome = try Self.blockedOpen(folder.path("test.txt"), client) { arrived in
                let sleep = arrived + timeout + offset - ContinuousClock.now
                if sleep > .zero { PosixThread.sleep(for: sleep) }
            }
            guard let outcome else {
                Issue.record("round \(round): no MESSAGE, REPLY_RESULT or exit")
                return
            }
            #expect(Self.consistent(outcome), "round \(round), offset \(offset): \(outcome)")
            if outcome.0 == .success { taken += 1 } else { refused += 1 }
        }
        // The sweep crossed the edge: REPLYs 10 ms early were taken, REPLYs 10 ms late refused.
        #expect(taken > 0 && refused > 0, "\(taken) taken, \(refused) refused")
        print("a REPLY swept across the verdict timeout: \(taken) taken, \(refused) refused")
        #expect(daemon.terminate() == 0)
    }

    @Test(
        "the daemon stopped while a REPLY waits in its socket past the deadline: on resume the REPLY, the port's timer and the deadline race, and each outcome is consistent"
    )
    func stoppedPastTheDeadline() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let (daemon, client) = try Self.watching(folder)
        let taken = try Self.stoppedRounds(pid: daemon.pid, file: folder.path("test.txt"), client, reply: [1, 0, 0, 0])
        print("minifltd: a REPLY waiting past the deadline while the daemon was stopped: \(taken) of 30 taken")
        #expect(daemon.terminate() == 0)
    }

    @Test(
        "minifltscan, stopped while a SCANNER_REPLY of SafeToOpen 0 waits past --scan-timeout: each outcome is consistent"
    )
    func scannerStoppedPastTheDeadline() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let scanner = try ScannerTests.Scanner(
            watching: folder.url.path,
            ["--scan-timeout", "0.1", "--verdict-cache", "false"]
        )
        defer { #expect(scanner.child.stop(SIGTERM) == 0, "\(scanner.output)") }
        let client = try RawClient.connected(port: scanner.port)
        #expect(eventually { scanner.output.contains("scanner client connected") }, "\(scanner.output)")
        let taken = try Self.stoppedRounds(pid: scanner.child.pid, file: folder.path("test.txt"), client, reply: [0])
        print("minifltscan: a SCANNER_REPLY waiting past the deadline while it was stopped: \(taken) of 30 taken")
    }

    /// 30 opens, each answered with `reply` while `pid` is stopped, resumed once its deadline and the port's
    /// timer are due: the REPLY (read by the port's I/O thread), the timer and the library's deadline then
    /// race. Records each inconsistent outcome; returns how many REPLYs were taken.
    static func stoppedRounds(pid: Int32, file: String, _ client: RawClient, reply: [UInt8]) throws -> Int {
        var stopped = false
        defer { if stopped { kill(pid, SIGCONT) } }
        var taken = 0
        for round in 0..<30 {
            let outcome = try Self.blockedOpen(
                file,
                client,
                reply: reply,
                beforeReply: { _ in
                    kill(pid, SIGSTOP)
                    stopped = true
                    _ = eventually { TreeOverflowTests.isStopped(pid) }
                },
                afterReply: {
                    // Past the deadline and the port's timer, both due when the filter runs again.
                    PosixThread.sleep(for: .milliseconds(130))
                    kill(pid, SIGCONT)
                    stopped = false
                }
            )
            guard let outcome else {
                Issue.record("round \(round): no MESSAGE, REPLY_RESULT or exit")
                return taken
            }
            #expect(Self.consistent(outcome), "round \(round): \(outcome)")
            if outcome.0 == .success { taken += 1 }
        }
        return taken
    }
}

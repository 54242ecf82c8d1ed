// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// `minifltd --watch --pass-descriptors` (docs/protocol.md section 12), as root on real fanotify: the opened
/// file's descriptor reaches a client that asked for descriptors, which reads the watched file through it.
@Suite("Watched opens with the opened file's descriptor")
struct WatchDescriptorTests {
    typealias Folder = FileOpenTests.Folder

    @Test("minifltctl listen --read prints the first bytes read through each open's descriptor; the daemon keeps none")
    func readThroughDescriptor() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: [
            "--watch", folder.url.path, "--pass-descriptors", "--log-level", "info", "--verdict-cache", "false",
        ])
        let listener = try ChildProcess(
            Binaries.minifltctl.path,
            ["listen", "--port", daemon.port, "--block", "test.txt", "--read", "16"],
            mergeStandardOutput: true
        )
        let printed = listener.collectOutput()
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        let before = daemon.settledDescriptorCount
        #expect(try runProgram("/bin/cat", [folder.path("other.txt")]).status == 0)
        #expect(try runProgram("/bin/cat", [folder.path("test.txt")]).status == 1)
        #expect(
            eventually { printed.text.withLock { $0.contains(folder.path("other.txt") + ": \"fine\\x0a\"\n") } },
            "\(printed.text.withLock { $0 })"
        )
        #expect(
            eventually {
                printed.text.withLock { $0.contains(folder.path("test.txt") + " will be blocked: \"secret\\x0a\"\n") }
            },
            "\(printed.text.withLock { $0 })"
        )
        let returned = eventually { daemon.openDescriptorCount == before }
        print("descriptor count, watched opens with descriptors: \(before) before, \(daemon.openDescriptorCount) after")
        #expect(returned, "fds \(before) before, \(daemon.openDescriptorCount) after")
    }

    @Test("a listener that did not ask for descriptors is served as before by a daemon that passes them")
    func plainListener() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: ["--watch", folder.url.path, "--pass-descriptors", "--log-level", "info"])
        let (listener, printed) = try FileOpenTests.blockingListener(port: daemon.port)
        defer { _ = listener.stop(SIGKILL) }
        #expect(daemon.waitForLog("connect to this filter"))
        #expect(try runProgram("/bin/cat", [folder.path("test.txt")]).status == 1)
        #expect(
            eventually { printed.text.withLock { $0.contains(folder.path("test.txt") + " will be blocked\n") } },
            "\(printed.text.withLock { $0 })"
        )
    }
}

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

    /// `minifltd --watch FOLDER --pass-descriptors` and `minifltctl listen --block test.txt --read 16`
    /// connected to it, and what the listener prints.
    static func readingListener(watching folder: Folder) throws -> (Daemon, ChildProcess, LogBuffer) {
        let daemon = try Daemon(arguments: [
            "--watch", folder.url.path, "--pass-descriptors", "--log-level", "info", "--verdict-cache", "false",
        ])
        let listener = try ChildProcess(
            Binaries.minifltctl.path,
            ["listen", "--port", daemon.port, "--block", "test.txt", "--read", "16"],
            mergeStandardOutput: true
        )
        let printed = listener.collectOutput()
        #expect(daemon.waitForLog("connect to this filter"))
        return (daemon, listener, printed)
    }

    @Test("minifltctl listen --read prints the first bytes read through each open's descriptor; the daemon keeps none")
    func readThroughDescriptor() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let (daemon, listener, printed) = try Self.readingListener(watching: folder)
        defer { _ = listener.stop(SIGKILL) }
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

    @Test(
        "a Swift listener at its descriptor limit: the open arrives without its descriptor and is answered, the next brings one"
    )
    func listenerAtDescriptorLimit() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let (daemon, listener, printed) = try Self.readingListener(watching: folder)
        defer { _ = listener.stop(SIGKILL) }
        let before = daemon.settledDescriptorCount
        // The listener's limit, lowered from outside to its lowest free descriptor number: the kernel has no
        // room for the next descriptor it would hand the listener, and this test process keeps its own limit.
        let free = try lowestFreeDescriptor(of: listener.pid)
        #expect(try setDescriptorLimit(of: listener.pid, to: free))
        #expect(try runProgram("/bin/cat", [folder.path("test.txt")]).status == 1)
        #expect(
            eventually {
                printed.text.withLock {
                    $0.contains(folder.path("test.txt") + " will be blocked: (descriptor lost: the 1 descriptor(s)")
                }
            },
            "\(printed.text.withLock { $0 })"
        )
        #expect(printed.text.withLock { $0.contains("(RLIMIT_NOFILE)") && $0.contains("(HRESULT = 0x80070004))\n") })
        #expect(try setDescriptorLimit(of: listener.pid, to: 1024))
        #expect(try runProgram("/bin/cat", [folder.path("other.txt")]).status == 0)
        #expect(
            eventually { printed.text.withLock { $0.contains(folder.path("other.txt") + ": \"fine\\x0a\"\n") } },
            "\(printed.text.withLock { $0 })"
        )
        let returned = eventually { daemon.openDescriptorCount == before }
        print("descriptor count, Swift listener at its limit: \(before) before, \(daemon.openDescriptorCount) after")
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

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

/// Faults injected into the real daemon's system calls through the seam (`MINIFLT_INJECT_FAULTS`, debug
/// builds; `Sources/MiniFltPosix/FaultInjection.swift`): whatever a call fails with, the daemon neither hangs
/// nor crashes, the client affected gets a clear error or is served after a retry, and the next clients are
/// served. A fault in a call the daemon needs to start is a clear exit 1 that names the call.
@Suite("Injected system-call faults against the real daemon")
struct FaultInjectionTests {
    struct Fault: CustomTestStringConvertible, Sendable {
        var call: String
        var errno: String
        /// The first failing call and how many fail.
        var first = 1
        var count = 1
        var rule: String { "\(call)=\(errno)@\(first)*\(count)" }
        var testDescription: String { rule }
    }

    static let whileServingFaults: [Fault] =
        ["EMFILE", "ENFILE", "ENOMEM", "ENOBUFS", "EINTR", "EAGAIN"].map { Fault(call: "accept4", errno: $0, count: 3) }
        // Not EAGAIN for recv: the kernel says EAGAIN only when the socket's queue is empty, and the next byte
        // raises a new edge; an EAGAIN over queued bytes is no fault Linux makes, and an edge-triggered reader
        // rightly waits for the edge. Every test that reads until a socket is drained runs the real EAGAIN.
        + ["ENOMEM", "EINTR", "ECONNRESET"].map { Fault(call: "recv", errno: $0, first: 3) }
        + ["ENOMEM", "EINTR", "EAGAIN", "EPIPE"].map { Fault(call: "send", errno: $0, first: 2) }
        + ["ENOMEM", "EINTR"].map { Fault(call: "epoll_wait", errno: $0, first: 2, count: 5) }
        + ["ENOMEM", "ENOBUFS", "EINTR"].map { Fault(call: "epoll_ctl", errno: $0, first: 5) }
        + [Fault(call: "timerfd_settime", errno: "ENOMEM", count: 3)]

    @Test(
        "a fault while serving: no crash, no hang, a clear error at most, and the next clients are served",
        arguments: whileServingFaults
    )
    func whileServing(_ fault: Fault) throws {
        let daemon = try Daemon(
            arguments: ["--max-connections", "4"],
            environment: ["MINIFLT_INJECT_FAULTS": fault.rule]
        )
        var statuses: [Int32?] = []
        for _ in 0..<4 {
            statuses.append(
                try runProgram(
                    Binaries.minifltctl.path,
                    ["send", "--port", daemon.port, "--repeat", "3", "Hello"],
                    within: .seconds(10)
                )
            )
        }
        #expect(statuses.allSatisfy { $0 == 0 || $0 == 1 }, "a client hung or crashed: \(statuses)")
        #expect(statuses.last == 0, "not served after the fault: \(statuses)\n\(daemon.tail)")
        #expect(daemon.isRunning, "\(daemon.tail)")
        #expect(daemon.terminate() == 0)
    }

    static let atStartFaults: [Fault] =
        ["EMFILE", "ENOMEM", "ENOBUFS"].map { Fault(call: "socket", errno: $0) }
        + [Fault(call: "bind", errno: "ENOMEM"), Fault(call: "listen", errno: "ENOBUFS")]
        + ["EMFILE", "ENOMEM"].map { Fault(call: "epoll_create1", errno: $0) }
        + [Fault(call: "eventfd", errno: "EMFILE"), Fault(call: "timerfd_create", errno: "ENOMEM")]

    @Test(
        "a fault in a call the daemon needs to start: exit 1 with a message that names the call",
        arguments: atStartFaults
    )
    func atStart(_ fault: Fault) throws {
        let child = try ChildProcess(
            Binaries.minifltd.path,
            ["--port", Binaries.uniquePortName("start"), "--log-target", "console"],
            environment: ["MINIFLT_INJECT_FAULTS": fault.rule],
            mergeStandardOutput: true
        )
        let output = child.collectOutput()
        #expect(child.exitStatus(within: .seconds(10)) == 1, "still running with \(fault.rule), or another status")
        #expect(
            eventually { output.text.withLock { $0.contains("minifltd: ") && $0.contains(fault.call) } },
            "\(output.text.withLock { $0 })"
        )
    }

    static let watchingFaults: [Fault] = ["EMFILE", "ENFILE", "ENOMEM", "EINTR", "EAGAIN"].map {
        Fault(call: "read(fanotify)", errno: $0, count: 3)
    }

    @Test("a fault reading fanotify events: every watched open is still answered", arguments: watchingFaults)
    func watching(_ fault: Fault) throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let daemon = try Daemon(
            arguments: ["--watch", folder.url.path],
            environment: ["MINIFLT_INJECT_FAULTS": fault.rule]
        )
        for _ in 0..<5 {
            #expect(try runProgram("/bin/cat", [folder.path("other.txt")], within: .seconds(5)) == 0, "\(daemon.tail)")
        }
        #expect(daemon.isRunning)
        #expect(daemon.terminate() == 0)
    }

    @Test("fanotify_init failing: exit 1 with a message that names it")
    func watchCannotStart() throws {
        let result = try runProgram(
            Binaries.minifltd.path,
            [
                "--port", Binaries.uniquePortName("nofanotify"), "--watch", "/var/tmp", "--log-target", "console",
            ],
            environment: ProcessInfo.processInfo.environment.merging(["MINIFLT_INJECT_FAULTS": "fanotify_init=EMFILE"])
            { $1 }
        )
        #expect(result.status == 1)
        #expect(result.standardError.contains("fanotify_init"), "\(result.standardError)")
    }
}

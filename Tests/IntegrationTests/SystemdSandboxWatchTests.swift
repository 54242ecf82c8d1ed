// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization
import Testing

extension SystemdSandboxTests {
    /// minifltd-watch.service as installed, under a real systemd: its hardening must leave fanotify working
    /// (CAP_SYS_ADMIN as the dynamic user's only capability, fanotify_init and fanotify_mark let through the
    /// system-call filter), and its verdicts must reach the opener outside the sandbox.
    @Test("the watching unit: a client's block fails the open with EPERM, another file opens, with CAP_SYS_ADMIN only")
    func watchingService() throws {
        let sandbox = try SystemdSandbox()
        defer { sandbox.stop() }
        // A folder of the test's own, outside /tmp (the unit's /tmp is its own) and readable by the dynamic user.
        let watched = sandbox.folder.appendingPathComponent("watched")
        try FileManager.default.createDirectory(at: watched, withIntermediateDirectories: true)
        chmod(watched.path, 0o755)
        try "secret\n".write(to: watched.appendingPathComponent("test.txt"), atomically: true, encoding: .utf8)
        try "fine\n".write(to: watched.appendingPathComponent("other.txt"), atomically: true, encoding: .utf8)
        try "# the test's watched folder\nwatch = \(watched.path)\nverdict-timeout = 5\n"
            .write(to: sandbox.watchConfiguration, atomically: true, encoding: .utf8)

        #expect(sandbox.systemctl(["start", "minifltd-watch.socket"]).status == 0)
        #expect(eventually { isListening("@" + sandbox.watchPort.lowercased()) })
        // The listener's connect starts the service, which marks the folder before it says READY=1. The listener
        // runs in the sandbox's pid namespace, as a client would beside the service: from there a process
        // outside has pid 0, and were the client outside too, every open would look like the client's own
        // (which are allowed without asking). The test's opens come from outside.
        let minifltctl = sandbox.folder.appendingPathComponent("minifltctl")
        try FileManager.default.copyItem(at: Binaries.minifltctl, to: minifltctl)
        let listener = try ChildProcess(
            "/usr/bin/nsenter",
            [
                "-t", "\(sandbox.systemdPID)", "-a", minifltctl.path, "listen", "--port", sandbox.watchPort, "--block",
                "test.txt",
            ],
            mergeStandardOutput: true
        )
        let printed = listener.collectOutput()
        defer { _ = listener.stop(SIGKILL) }
        let show = { (property: String) in sandbox.property(property, of: "minifltd-watch.service") }
        #expect(eventually(timeout: .seconds(10)) { show("ActiveState") == "active" }, "\(show("ActiveState"))")

        // Opens before the daemon has taken the listener's connection proceed (no client yet): wait for a block.
        let test = watched.appendingPathComponent("test.txt").path
        #expect(
            eventually(timeout: .seconds(10)) { (try? FileOpenTests.open(test))?.status == 1 },
            "test.txt was never blocked: \(printed.text.withLock { $0 })"
        )
        let blocked = try FileOpenTests.open(test)
        #expect(blocked.status == 1)
        #expect(blocked.standardError.contains("Operation not permitted"), "\(blocked.standardError)")
        let allowed = try FileOpenTests.open(watched.appendingPathComponent("other.txt").path)
        #expect(allowed.status == 0)
        #expect(allowed.standardOutput == "fine\n")
        #expect(eventually { printed.text.withLock { $0.contains("\(test) will be blocked") } })

        // CAP_SYS_ADMIN and nothing else, as a dynamic user (not root).
        let (fields, status) = sandbox.mainProcessStatus(of: "minifltd-watch.service")
        #expect(fields["CapEff"] == "0000000000200000", "\(status)")
        #expect(fields["CapBnd"] == "0000000000200000", "\(status)")
        #expect(fields["Uid"] != "0" && fields["Uid"] != nil, "\(status)")
        #expect(show("DynamicUser") == "yes")

        let journal = sandbox.run(["journalctl", "-u", "minifltd-watch.service", "--no-pager", "-o", "json"])
            .standardOutput
        #expect(journal.contains("watching opens of the directory \(watched.path)"), "\(journal.suffix(2000))")
        #expect(!journal.contains("errno=1\""), "a system call was refused by the unit's filter")
        #expect(sandbox.systemctl(["stop", "minifltd-watch.service"]).status == 0)
        #expect(show("Result") == "success")
    }
}

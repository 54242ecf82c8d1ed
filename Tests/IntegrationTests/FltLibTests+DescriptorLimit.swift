// SPDX-License-Identifier: MIT
import Foundation
import MiniFltTestSupport
import Synchronization
import Testing

/// A libfltlib client at its descriptor limit (docs/protocol.md section 12): flt_descriptors lowers its own
/// RLIMIT_NOFILE and fills its table, so the kernel drops the descriptor of the next message (MSG_CTRUNC); the
/// message arrives without it, the descriptor call says why (0x80070004), the connection lives on, and once
/// the program closed 4 descriptors the next message brings its descriptor.
extension FltLibTests {
    @Test(
        "FilterGetMessageDescriptors at the descriptor limit: 0x80070004, the connection lives on, the daemon keeps none"
    )
    func getAtDescriptorLimit() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let daemon = try Daemon(arguments: [
            "--watch", folder.url.path, "--pass-descriptors", "--verdict-cache", "false", "--log-level", "info",
        ])
        // Counted before the client connects: it has gone (and its connection with it) when counted again.
        let before = daemon.settledDescriptorCount
        let client = try ChildProcess(
            try FltLibPrograms.path("flt_descriptors"),
            ["limit-get", "--port", daemon.port],
            mergeStandardOutput: true
        )
        let printed = client.collectOutput()
        defer { _ = client.stop(SIGKILL) }
        #expect(eventually { printed.text.withLock { $0.contains("full\n") } }, "\(printed.text.withLock { $0 })")
        #expect(try FileOpenTests.open(folder.path("other.txt")).status == 0)
        #expect(eventually { printed.text.withLock { $0.contains("freed\n") } }, "\(printed.text.withLock { $0 })")
        #expect(try FileOpenTests.open(folder.path("test.txt")).status == 0)
        #expect(client.exitStatus(within: .seconds(20)) == 0, "\(printed.text.withLock { $0 })")
        let output = printed.text.withLock { $0 }
        #expect(output.contains("ok its descriptor was dropped: 0x80070004\n"), "\(output)")
        #expect(output.contains("at its descriptor limit (RLIMIT_NOFILE)"), "\(output)")
        #expect(output.contains("read secret\n"), "\(output)")
        #expect(output.hasSuffix("0 failed\n"), "\(output)")
        let returned = eventually { daemon.openDescriptorCount == before }
        print("descriptor count, libfltlib client at its limit: \(before) before, \(daemon.openDescriptorCount) after")
        #expect(returned, "fds \(before) before, \(daemon.openDescriptorCount) after")
    }

    @Test("FilterSendMessageWithDescriptors at the descriptor limit: 0x80070004 with the output, then the descriptor")
    func sendAtDescriptorLimit() throws {
        let daemon = try Daemon()
        let before = daemon.settledDescriptorCount
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fltlib-limit-\(getpid())").path
        try Data("file bytes at the limit".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let result = try Self.run("flt_descriptors", ["limit-send", "--port", daemon.port, path])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains("ok the result's descriptor was dropped: 0x80070004\n"))
        #expect(result.standardOutput.contains("output at the limit file bytes at the limit\n"))
        #expect(result.standardOutput.contains("through file\n"), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        #expect(
            eventually { daemon.openDescriptorCount == before },
            "fds \(before) before, \(daemon.openDescriptorCount) after"
        )
    }
}

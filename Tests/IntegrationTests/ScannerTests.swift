// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// minifltscan, Microsoft's scanner minifilter ported (docs/protocol.md section 8, "The scanner"), with a C client in the
/// scanner's style (fltlib/tests/flt_scan.c: a completion port, 4 threads x 4 overlapped gets). As root: it
/// watches with fanotify. Opens are done by child processes, never by the client's own process.
@Suite("minifltscan: the scanner sample's filter, with a scanner-style C client")
struct ScannerTests {
    /// `minifltscan --port <unique> --watch <folder>`, started and stopped by pid.
    final class Scanner {
        let port: String
        let child: ChildProcess
        let log: LogBuffer

        init(watching folder: String, _ extra: [String] = []) throws {
            port = Binaries.uniquePortName("scanner")
            child = try ChildProcess(
                Binaries.minifltscan.path,
                ["--port", port, "--watch", folder, "--log-level", "debug"] + extra,
                mergeStandardOutput: true
            )
            log = child.collectOutput()
            let address = (try? PortName(port).address) ?? "@" + port
            let process = child.process
            guard eventually({ isListening(address) || !process.isRunning }), process.isRunning else {
                _ = child.stop(SIGKILL)
                throw DaemonError.didNotStart(log.text.withLock { $0 })
            }
        }

        var output: String { log.text.withLock { $0 } }
    }

    @Test(
        "no client: a file that contains \"foul\" opens; with the C client it cannot, a clean one can, a file written with \"foul\" and closed is denied on its next open; the client gone, opens proceed again"
    )
    func scansWithTheScannerStyleClient() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        try "this text is foul\n".write(toFile: folder.path("early.txt"), atomically: true, encoding: .utf8)
        let scanner = try Scanner(watching: folder.url.path)
        defer { #expect(scanner.child.stop(SIGTERM) == 0, "\(scanner.output)") }

        let unscanned = try FileOpenTests.open(folder.path("early.txt"))
        #expect(unscanned.status == 0, "no client connected: the open proceeds (\(unscanned.standardError))")

        let result = try runProgram(try FltLibPrograms.path("flt_scan"), ["--port", scanner.port, folder.url.path])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)\n\(scanner.output)")
        #expect(!result.standardOutput.contains("FAIL"), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(result.standardOutput)")
        #expect(scanner.output.contains("foul.txt opened by pid"), "\(scanner.output)")
        #expect(scanner.output.contains("later.txt written by pid"), "\(scanner.output)")
        #expect(eventually { scanner.output.contains("scanner client disconnected") }, "\(scanner.output)")

        let afterwards = try FileOpenTests.open(folder.path("foul.txt"))
        #expect(afterwards.status == 0, "the client left: opens proceed (\(afterwards.standardError))")
    }

    @Test(
        "--pass-descriptors: a client with FLT_PORT_FLAG_DESCRIPTORS scans through the descriptor (BytesToScan 0): \"foul\" denied, clean allowed; a client without the flag gets the 1,024 bytes as before; the scanner's descriptor count returns to where it was"
    )
    func scansThroughTheDescriptor() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let scanner = try Scanner(watching: folder.url.path, ["--pass-descriptors"])
        defer { #expect(scanner.child.stop(SIGTERM) == 0, "\(scanner.output)") }
        let pid = scanner.child.process.processIdentifier
        let descriptors = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }
        var before = -1
        // The copy first: the scanner's first client makes its lazily opened descriptors (the port's and
        // Dispatch's), so the count is taken after it, and every client after it must leave it unchanged.
        let clients = [
            ([], "with the copied bytes"), (["--descriptors"], "through the descriptor"), ([], "with the copies again"),
        ]
        for (index, (arguments, what)) in clients.enumerated() {
            let result = try runProgram(
                try FltLibPrograms.path("flt_scan"),
                arguments + ["--port", scanner.port, folder.url.path]
            )
            #expect(result.status == 0, "\(what): \(result.standardOutput)\(result.standardError)\n\(scanner.output)")
            #expect(result.standardOutput.hasSuffix("0 failed\n"), "\(what): \(result.standardOutput)")
            let disconnects = { scanner.output.components(separatedBy: "scanner client disconnected").count - 1 }
            #expect(eventually { disconnects() == index + 1 }, "\(what): \(scanner.output)")
            if before < 0 {
                before = descriptors()
                #expect(before > 0)
            } else {
                #expect(
                    eventually { descriptors() == before },
                    "\(what): \(descriptors()) descriptors open, \(before) before"
                )
            }
        }
        #expect(scanner.output.contains("foul.txt opened by pid"), "\(scanner.output)")
    }

    @Test("the port admits one client: a second connect gets 0x800704D6, as the sample's max connections of 1")
    func oneClient() throws {
        let folder = try FileOpenTests.Folder()
        defer { folder.remove() }
        let scanner = try Scanner(watching: folder.url.path)
        defer { _ = scanner.child.stop(SIGTERM) }
        let first = try ChildProcess(
            Binaries.minifltctl.path,
            ["listen", "--port", scanner.port],
            mergeStandardOutput: true
        )
        defer { _ = first.stop(SIGKILL) }
        #expect(eventually { scanner.output.contains("scanner client connected") }, "\(scanner.output)")
        let second = try runProgram(Binaries.minifltctl.path, ["listen", "--port", scanner.port])
        #expect(second.status != 0)
        #expect(
            (second.standardOutput + second.standardError).lowercased().contains("0x800704d6"),
            "\(second.standardError)"
        )
    }
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Testing

extension SystemdSandboxTests {
    /// minifltscan.service and minifltscan.socket as installed, under a real systemd: the first client's connect
    /// starts the service, whose hardening must leave fanotify and the scan working (CAP_SYS_ADMIN as the dynamic
    /// user's only capability, fanotify_init and fanotify_mark let through the system-call filter), and the
    /// client's verdicts must decide the opens.
    @Test(
        "the scanner unit: a scanner-style client's connect starts it; a foul file is denied, a clean one opens, one written foul is denied after its close; CAP_SYS_ADMIN only, as a dynamic user; systemctl enable --now minifltscan starts it at once"
    )
    func scannerService() throws {
        let sandbox = try SystemdSandbox()
        defer { sandbox.stop() }
        // Outside /tmp (the unit's /tmp is its own), and readable by the dynamic user, which marks it;
        // flt_scan writes its files there.
        let scanned = sandbox.folder.appendingPathComponent("scanned")
        try FileManager.default.createDirectory(at: scanned, withIntermediateDirectories: true)
        chmod(scanned.path, 0o755)
        try "# the test's folder\nMINIFLTSCAN_OPTIONS=\"--watch \(scanned.path) --log-level debug\"\n"
            .write(to: sandbox.scanOptions, atomically: true, encoding: .utf8)

        #expect(sandbox.systemctl(["start", "minifltscan.socket"]).status == 0)
        #expect(eventually { isListening("@" + sandbox.scanPort.lowercased()) })
        let show = { (property: String) in sandbox.property(property, of: "minifltscan.service") }
        #expect(show("ActiveState") == "inactive", "socket-activated: nothing runs before a client connects")

        // The client runs in the sandbox's pid namespace, beside the service, as a scanner service would: from
        // there a process outside has pid 0, and were the client outside, its children's opens would look
        // like the client's own, which are not scanned. flt_scan and libfltlib are copied next to the units:
        // the clone may live under /tmp, which the sandbox replaces.
        let client = sandbox.folder.appendingPathComponent("flt_scan")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: try FltLibPrograms.path("flt_scan")), to: client)
        let library = try libraryPath("libfltlib.so.1", of: client.path)
        let libraries = sandbox.folder.appendingPathComponent("lib")
        try FileManager.default.createDirectory(at: libraries, withIntermediateDirectories: true)
        // The file itself, not the soname's link: the link may point into the clone, which the sandbox hides.
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: library).resolvingSymlinksInPath(),
            to: libraries.appendingPathComponent("libfltlib.so.1")
        )
        let runClient = {
            sandbox.run([
                "env", "LD_LIBRARY_PATH=\(libraries.path)", client.path, "--port", sandbox.scanPort, scanned.path,
            ])
        }
        let scan = runClient()
        let journal = {
            sandbox.run(["journalctl", "-u", "minifltscan.service", "--no-pager", "-o", "json"]).standardOutput
        }
        #expect(scan.status == 0, "\(scan.standardOutput)\(scan.standardError)\n\(journal().suffix(3000))")
        #expect(scan.standardOutput.hasSuffix("0 failed\n"), "\(scan.standardOutput)")
        #expect(show("ActiveState") == "active", "\(show("ActiveState"))")
        // The client has left: the status line says that nobody scans.
        #expect(
            eventually {
                show("StatusText").hasPrefix("scanning opens of directory \(scanned.path)")
                    && show("StatusText").hasSuffix("; no client: opens proceed unscanned")
            },
            "\(show("StatusText"))"
        )

        // CAP_SYS_ADMIN and nothing else, as a dynamic user (not root).
        let (fields, status) = sandbox.mainProcessStatus(of: "minifltscan.service")
        #expect(fields["CapEff"] == "0000000000200000", "\(status)")
        #expect(fields["CapBnd"] == "0000000000200000", "\(status)")
        #expect(fields["Uid"] != "0" && fields["Uid"] != nil, "\(status)")
        #expect(show("DynamicUser") == "yes")

        let entries = journal()
        #expect(entries.contains("using the socket systemd passed"), "\(entries.suffix(3000))")
        #expect(entries.contains("\(scanned.path)/foul.txt opened by pid"), "\(entries.suffix(3000))")
        // Structured entries on the journal's socket, each with its priority, not lines of stderr.
        let denial = entries.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }.first { ($0["MESSAGE"] as? String)?.contains("foul.txt opened by pid") == true }
        #expect(denial?["_TRANSPORT"] as? String == "journal", "\(denial ?? [:])")
        #expect(denial?["SYSLOG_IDENTIFIER"] as? String == "minifltscan", "\(denial ?? [:])")
        #expect(denial?["PRIORITY"] as? String == "6", "\(denial ?? [:])")
        #expect(entries.contains("later.txt written by pid"), "\(entries.suffix(3000))")
        #expect(!entries.contains("errno=1\""), "a system call was refused by the unit's filter")
        #expect(sandbox.systemctl(["stop", "minifltscan.service"]).status == 0)
        #expect(show("Result") == "success")
        #expect(journal().contains("stopped: opens asked"))

        // The README's way: `systemctl enable --now minifltscan` enables the socket too (Also=) and starts the
        // service at once. --runtime keeps the links in the sandbox's own /run; systemctl finds the units where
        // the sandbox's systemd does.
        #expect(sandbox.systemctl(["stop", "minifltscan.socket"]).status == 0)
        let enable = sandbox.run([
            "env", "SYSTEMD_UNIT_PATH=\(sandbox.folder.appendingPathComponent("units").path)", "systemctl", "enable",
            "--runtime", "--now", "minifltscan",
        ])
        #expect(enable.status == 0, "\(enable.standardError)")
        #expect(enable.standardError.contains("sockets.target.wants/minifltscan.socket"), "\(enable.standardError)")
        #expect(show("ActiveState") == "active", "started by enable --now, before any client")
        let again = runClient()
        #expect(again.standardOutput.hasSuffix("0 failed\n"), "\(again.standardOutput)\(again.standardError)")
    }
}

/// Where the dynamic linker finds `library` for `program` (ldd's answer).
private func libraryPath(_ library: String, of program: String) throws -> String {
    let listed = try runProgram("/usr/bin/ldd", [program]).standardOutput
    let line = listed.split(separator: "\n").first { $0.contains(library + " => ") }
    guard let path = line?.split(separator: " ").dropFirst(2).first, path.hasPrefix("/") else {
        throw LibraryNotFound(description: "ldd \(program) finds no \(library):\n\(listed)")
    }
    return String(path)
}

private struct LibraryNotFound: Error, CustomStringConvertible {
    var description: String
}

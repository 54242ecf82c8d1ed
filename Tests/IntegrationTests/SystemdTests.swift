// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

@Suite("systemd: notification, watchdog, socket activation, journald and the units")
struct SystemdTests {
    @Test("READY=1 after the port listens, STATUS= follows clients, WATCHDOG=1 on schedule, STOPPING=1 on SIGTERM")
    func notify() throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        let daemon = try Daemon(environment: ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "400000"])
        #expect(listener.waitFor("READY=1"))
        let ready = listener.received.first { $0.contains("READY=1") } ?? ""
        // systemd C-unescapes STATUS=, so the port's backslash travels doubled.
        let escapedAddress = "@" + daemon.port.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
        #expect(ready.contains("STATUS=listening on " + escapedAddress), "\(ready)")
        #expect(ready.contains("clients 0/1"))
        #expect(isListening("@" + daemon.port.lowercased()), "READY=1 came before the port listened")

        let client = try FilterPort.connect(to: daemon.port)
        _ = try client.send(userToFilter("Hello"), outputCapacity: 4096)
        #expect(listener.waitFor("clients 1/1; messages 1"), "\(listener.received.suffix(3))")
        client.close()
        #expect(listener.waitFor("clients 0/1; messages 1"))

        let start = ContinuousClock.now
        Thread.sleep(forTimeInterval: 1.2)
        let pings = listener.received(after: start).filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 4 && pings <= 8, "\(pings) pings in 1.2 s at WATCHDOG_USEC=400000 (every 200 ms)")

        #expect(daemon.terminate() == 0)
        #expect(listener.waitFor("STOPPING=1"))
    }

    @Test("the watchdog stops pinging while the routine queue is blocked, and pings again once it moves")
    func watchdogStopsWhenRoutinesStall() throws {
        let listener = try NotifyListener()
        defer { listener.stop() }
        // --reply-delay makes the example's message routine sleep: a real stall of the routine queue, as a
        // routine stuck on a lock or a slow disk would cause.
        let daemon = try Daemon(
            arguments: ["--reply-delay", "2"],
            environment: ["NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "300000"]
        )
        #expect(listener.waitFor("READY=1"))
        #expect(eventually { listener.received.filter { $0 == "WATCHDOG=1" }.count >= 2 })

        let client = try RawClient.connected(port: daemon.port)
        client.write(Frame.send(id: 1, outputCapacity: 0, input: userToFilter("Hello")).encoded())
        Thread.sleep(forTimeInterval: 0.5)  // a tick to notice, plus slack
        let stalled = ContinuousClock.now
        Thread.sleep(forTimeInterval: 1.0)
        #expect(listener.received(after: stalled).filter { $0 == "WATCHDOG=1" }.isEmpty, "pinged while stalled")
        #expect(daemon.waitForLog("the routine queue has made no progress"), "\(daemon.tail)")

        // The routine returns after 2 s: the queue moves again, and so do the pings.
        let moving = ContinuousClock.now
        #expect(eventually { listener.received(after: moving).contains("WATCHDOG=1") }, "no ping after the stall ended")
        #expect(daemon.terminate() == 0)
    }

    @Test("socket activation: the daemon serves the socket systemd-socket-activate passed and binds none")
    func socketActivation() throws {
        let port = Binaries.uniquePortName("activated")
        let address = "@" + port.lowercased()
        let activator = try ChildProcess(
            "/usr/bin/systemd-socket-activate",
            ["-l", address, "--fdname=port"] + sanitizerOptionsForActivation + [
                Binaries.minifltd.path, "--port", port, "--log-target", "console",
            ],
            mergeStandardOutput: true
        )
        let output = activator.collectOutput()
        #expect(eventually { isListening(address) })
        // The first connection starts the daemon (systemd-socket-activate execs it, same pid).
        let client = try FilterPort.connect(to: port)
        #expect(
            WideString.decode(try client.send(userToFilter("Hello"), outputCapacity: 4096), as: .utf16) == "Hello, User"
        )
        #expect(eventually { output.text.withLock { $0.contains("using the socket systemd passed (fd 3)") } })
        #expect(listeningSocketCount(address) == 1, "the daemon bound a second socket")
        client.close()
        #expect(activator.stop() == 0)
    }

    @Test("socket activation at an address other than the port's: a clear refusal to start")
    func socketActivationMismatch() throws {
        let port = Binaries.uniquePortName("mismatch")
        let address = "@" + port.lowercased() + "_other"
        let activator = try ChildProcess(
            "/usr/bin/systemd-socket-activate",
            ["-l", address, Binaries.minifltd.path, "--port", port, "--log-target", "console"]
        )
        #expect(eventually { isListening(address) })
        let poke = try? RawClient(port: port + "_other")  // the first connection starts the daemon
        _ = poke
        #expect(activator.waitForExit() == 1)
        let message = activator.readRemainingOutput()
        #expect(message.contains("make ListenStream= match the port name"), "\(message)")
    }

    @Test("journald: structured entries with MESSAGE_ID and the client's pid, read back with journalctl")
    func journal() throws {
        let journald = try Journald.acquire()
        defer { journald.release() }
        let daemon = try Daemon(arguments: ["--log-target", "journal"])
        let client = try FilterPort.connect(to: daemon.port)
        _ = try client.send(userToFilter("Hello, MiniFilter"), outputCapacity: 4096)
        client.close()
        var entries: [[String: String]] = []
        #expect(
            eventually(timeout: .seconds(10)) {
                entries = journalEntries(port: daemon.port)
                return entries.contains { $0["MESSAGE"] == "Data: Hello, MiniFilter" }
            },
            "journal entries: \(entries.map { $0["MESSAGE"] ?? "" })"
        )
        let data = entries.first { $0["MESSAGE"] == "Data: Hello, MiniFilter" } ?? [:]
        #expect(data["PRIORITY"] == "6")
        #expect(data["SYSLOG_IDENTIFIER"] == "minifltd")
        #expect(data["MESSAGE_ID"] == PortEvent.message.messageID)
        #expect(data["MINIFLT_CLIENT_PID"] == "\(getpid())")
        #expect(data["MINIFLT_CLIENT_UID"] == "\(getuid())")
        #expect(data["CODE_FILE"]?.hasSuffix("ExampleFilter.swift") == true)
        let connected = entries.first { $0["MESSAGE_ID"] == PortEvent.clientConnected.messageID }
        #expect(connected?["MESSAGE"] == "User-mode application(\(getpid())) connect to this filter")
        #expect(daemon.terminate() == 0)
    }

    @Test("journalctl takes the message catalog: one entry per event kind, for journalctl -x")
    func catalog() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("minifltd-catalog-\(getpid())")
        let folder = root.appendingPathComponent("usr/lib/systemd/catalog")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/minifltd.catalog")
        try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent("minifltd.catalog"))
        #expect(try runProgram("/usr/bin/journalctl", ["--root=\(root.path)", "--update-catalog"]).status == 0)
        let listed = try runProgram("/usr/bin/journalctl", ["--root=\(root.path)", "--list-catalog"]).standardOutput
        let ids = listed.split(separator: "\n").map { String($0.prefix(32)) }
        #expect(Set(ids) == Set(PortEvent.allCases.map(\.messageID)), "\(listed)")
    }

    @Test(
        "the units pass systemd-analyze verify; exposure at most 0.5 for minifltd.service, 1.0 for the watching one and minifltscan's"
    )
    func units() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("minifltd-units-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd")
        for unit in [
            "minifltd.service", "minifltd.socket", "minifltd-watch.service", "minifltd-watch.socket",
            "minifltscan.service", "minifltscan.socket",
        ] {
            try writeUnit(
                source.appendingPathComponent(unit),
                to: folder.appendingPathComponent(unit),
                replacing: ["@SBINDIR@": Binaries.directory.path]
            )
        }
        // verify looks up each Documentation=man: page: give it the repository's pages as they install.
        let pages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("man")
        for (page, section) in [("minifltd.8", "man8"), ("minifltctl.1", "man1"), ("minifltscan.8", "man8")] {
            let target = folder.appendingPathComponent("man/\(section)")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: pages.appendingPathComponent(page),
                to: target.appendingPathComponent(page)
            )
        }
        // The templates as `make install` makes them, verified as an instance.
        for unit in ["socket", "service"] {
            let template = try runProgram(
                "/bin/sed",
                [
                    "-f", source.appendingPathComponent("template.sed").path,
                    source.appendingPathComponent("minifltd.\(unit)").path,
                ]
            ).standardOutput.replacingOccurrences(of: "@SBINDIR@", with: Binaries.directory.path)
            try template.write(
                to: folder.appendingPathComponent("minifltd@scanner.\(unit)"),
                atomically: true,
                encoding: .utf8
            )
        }
        let verify = try runProgram(
            "/usr/bin/systemd-analyze",
            [
                "verify", folder.appendingPathComponent("minifltd.socket").path,
                folder.appendingPathComponent("minifltd.service").path,
                folder.appendingPathComponent("minifltd@scanner.socket").path,
                folder.appendingPathComponent("minifltd@scanner.service").path,
                folder.appendingPathComponent("minifltd-watch.socket").path,
                folder.appendingPathComponent("minifltd-watch.service").path,
                folder.appendingPathComponent("minifltscan.socket").path,
                folder.appendingPathComponent("minifltscan.service").path,
            ],
            environment: ProcessInfo.processInfo.environment.merging(
                ["MANPATH": folder.appendingPathComponent("man").path]
            ) { $1 }
        )
        #expect(verify.status == 0)
        #expect(
            verify.standardError.isEmpty && verify.standardOutput.isEmpty,
            "\(verify.standardError)\(verify.standardOutput)"
        )
        // minifltd.service scores 0.5; the watching service 1.0, for CAP_SYS_ADMIN and what fanotify needs
        // beside it (minifltd(8), THE WATCHING SERVICE), and minifltscan's as much (minifltscan(8), THE SERVICE).
        for (unit, limit) in [("minifltd.service", 0.5), ("minifltd-watch.service", 1.0), ("minifltscan.service", 1.0)]
        {
            let security = try runProgram(
                "/usr/bin/systemd-analyze",
                ["security", "--offline=true", "--no-pager", folder.appendingPathComponent(unit).path]
            )
            let line =
                security.standardOutput.split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
            let score = line.split(separator: " ").compactMap { Double($0) }.first
            #expect(score != nil && score! <= limit, "\(unit): \(line)")
        }
    }

    @Test(
        "the watching unit keeps every line of minifltd.service's [Service] but the ones fanotify needs changed, and minifltscan's every line of the watching unit's but its command, reload and watchdog"
    )
    func watchUnitHardening() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd")
        let serviceLines = { (unit: String) throws -> [String] in
            let text = try String(contentsOf: source.appendingPathComponent(unit), encoding: .utf8)
            let section = text.components(separatedBy: "[Service]").last?.components(separatedBy: "[Install]").first
            return (section ?? "").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        }
        let watch = Set(try serviceLines("minifltd-watch.service"))
        // The differences minifltd(8) explains: the command (and the file the reload checks), the capability,
        // and /home readable for marks.
        let changed: Set<String> = [
            "ExecStartPre", "ExecStart", "ExecReload", "CapabilityBoundingSet", "AmbientCapabilities", "ProtectHome",
        ]
        let missing = try serviceLines("minifltd.service").filter { line in
            guard let key = line.split(separator: "=").first else { return false }
            return !changed.contains(String(key)) && !watch.contains(line)
        }
        #expect(missing.isEmpty, "minifltd-watch.service lacks: \(missing)")
        #expect(watch.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(watch.contains("CapabilityBoundingSet=CAP_SYS_ADMIN"))
        #expect(watch.contains("AmbientCapabilities=CAP_SYS_ADMIN"))

        // minifltscan.service keeps every line of the watching unit's but its command and what minifltd has and
        // minifltscan has not: a configuration file to check, a reload and a watchdog (minifltscan(8), THE SERVICE).
        let scan = Set(try serviceLines("minifltscan.service"))
        let scanChanged: Set<String> = ["ExecStartPre", "ExecStart", "ExecReload", "WatchdogSec"]
        let scanMissing = watch.filter { line in
            guard let key = line.split(separator: "=").first else { return false }
            return !scanChanged.contains(String(key)) && !scan.contains(line)
        }
        #expect(scanMissing.isEmpty, "minifltscan.service lacks: \(scanMissing.sorted())")
        #expect(scan.contains("RestartPreventExitStatus=64"))
        #expect(scan.contains("EnvironmentFile=/etc/default/minifltscan"))
    }
}

/// The journal's entries for `port`, as journalctl -o json prints them.
func journalEntries(port: String) -> [[String: String]] {
    guard
        let result = try? runProgram(
            "/usr/bin/journalctl",
            ["-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=minifltd", "MINIFLT_PORT=\(port)"]
        )
    else { return [] }
    return result.standardOutput.split(separator: "\n").compactMap { line in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return nil
        }
        return object.compactMapValues { $0 as? String }
    }
}

/// systemd-socket-activate gives the daemon a fresh environment: under `make sanitize`, hand it the sanitizer
/// options too (`-E NAME` passes the variable's value).
let sanitizerOptionsForActivation: [String] = ["ASAN_OPTIONS", "TSAN_OPTIONS"]
    .filter { ProcessInfo.processInfo.environment[$0] != nil }
    .flatMap { ["-E", $0] }

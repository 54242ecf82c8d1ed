// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// The installed units under a real systemd, as PID 1 of its own pid, mount and cgroup namespaces, booted
/// the hermetic way (private /tmp, /run and /var/tmp; a unit path holding only the units needed), so that
/// no boot unit touches the machine. The network namespace is shared: the abstract socket is reachable.
/// The units are the project's, with a port name of the test's own in place of `\MiniFilterPort_Example`,
/// so that the test passes while `make run` serves the default port on the same machine.
@Suite(
    "The units under a real systemd (hermetic sandbox)",
    .serialized,
    // systemd starts the service with the unit's environment only, so a sanitizer runtime there runs with
    // its defaults (leak checks that fail the exit status) under a system-call filter not written for it.
    .disabled(if: ProcessInfo.processInfo.environment["MINIFLT_SANITIZER"] != nil, "not under make sanitize")
)
struct SystemdSandboxTests {
    @Test("socket activation, Type=notify with the status line, the watchdog, the hardening and the journal")
    func service() throws {
        let sandbox = try SystemdSandbox()
        defer { sandbox.stop() }
        #expect(sandbox.systemctl(["start", "minifltd.socket"]).status == 0)
        #expect(eventually { isListening(sandbox.address) })

        let client = try FilterPort.connect(to: sandbox.port)
        #expect(client.server.uid == 0, "the listener clients see is systemd")
        let reply = try client.send(userToFilter("Hello, MiniFilter"), outputCapacity: 4096)
        #expect(WideString.decode(reply, as: .utf16) == "Hello, User")
        // The management port comes from the socket unit too (the service has no network of its own).
        let status = try runProgram(Binaries.minifltctl.path, ["status", "--port", sandbox.port])
        #expect(status.status == 0, "\(status.standardError)")
        // The test is outside the sandbox's pid namespace, so the daemon sees its pid as 0.
        #expect(status.standardOutput.contains("clients:\n  [1]\n"), "\(status.standardOutput)")
        #expect(status.standardOutput.contains("    messages: 1\n"), "\(status.standardOutput)")
        client.close()
        // systemctl reload: --check-config, then SIGHUP, which the journal answers.
        #expect(sandbox.systemctl(["reload", "minifltd.service"]).status == 0)
        #expect(
            eventually {
                sandbox.run(["journalctl", "-u", "minifltd.service", "--no-pager"]).standardOutput
                    .contains("SIGHUP: reloaded the configuration")
            }
        )

        let show = { (property: String) in
            sandbox.systemctl(["show", "-p", property, "--value", "minifltd.service"]).standardOutput
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // The status line refreshes once a second: wait for the one after the client left.
        #expect(
            eventually { show("StatusText").hasPrefix("listening on \(sandbox.address); clients 0/16; messages 1") },
            "\(show("StatusText"))"
        )
        #expect(show("ActiveState") == "active")
        #expect(show("SubState") == "running")
        #expect(show("WatchdogUSec") == "10s")
        #expect(show("DynamicUser") == "yes")

        let journal = sandbox.run(["journalctl", "-u", "minifltd.service", "-o", "json", "--no-pager"]).standardOutput
        #expect(journal.contains("\"MESSAGE\":\"Data: Hello, MiniFilter\""), "\(journal.suffix(2000))")
        #expect(journal.contains("\"MESSAGE_ID\":\"\(PortEvent.ready.messageID)\""))
        // The system-call filter must not refuse what libdispatch calls (EPERM, errno 1, from SystemCallFilter=).
        #expect(!journal.contains("errno=1\""), "a system call was refused by the unit's filter")

        #expect(sandbox.systemctl(["stop", "minifltd.service"]).status == 0)
        #expect(show("Result") == "success")
        let stopping = sandbox.run([
            "journalctl", "-u", "minifltd.service", "--no-pager", "MESSAGE_ID=\(PortEvent.stopped.messageID)",
        ])
        #expect(stopping.standardOutput.contains("stopped"))
    }

    @Test(
        "SIGKILL under socket activation while 8 clients send: each in-flight send fails clearly, none hangs, the unit restarts it, and later connects are served"
    )
    func crashWhileClientsSend() throws {
        let sandbox = try SystemdSandbox()
        defer { sandbox.stop() }
        #expect(sandbox.systemctl(["start", "minifltd.socket"]).status == 0)
        #expect(eventually { isListening(sandbox.address) })
        // The first connection starts the service (the sandbox's unit admits 16 connections).
        #expect(try FilterPort.connect(to: sandbox.port).send(userToFilter("wake"), outputCapacity: 4096).count == 22)

        final class Counts: Sendable {
            let refused = Atomic<Int>(0)
            let served = Atomic<Int>(0)
        }
        let failures = StateLock<[FilterPortError]>([])
        let counts = Counts()
        let deadline = ContinuousClock.now + .seconds(8)
        let threads = (0..<8).map { _ in
            Thread {
                while ContinuousClock.now < deadline {
                    do throws(FilterPortError) {
                        let client = try FilterPort.connect(to: sandbox.port)
                        defer { client.close() }
                        while ContinuousClock.now < deadline {
                            _ = try client.send(userToFilter("Hello"), outputCapacity: 4096)
                            counts.served.add(1, ordering: .relaxed)
                        }
                    } catch {
                        if error.hresult == .fileNotFound { counts.refused.add(1, ordering: .relaxed) }
                        failures.withLock { $0.append(error) }
                    }
                }
            }
        }
        for thread in threads { thread.start() }
        #expect(eventually { counts.served.load(ordering: .relaxed) > 1000 })
        let before = counts.served.load(ordering: .relaxed)
        let killed = sandbox.systemctl(["kill", "--signal=SIGKILL", "minifltd.service"])
        #expect(killed.status == 0, "systemctl kill: \(killed.standardError)")
        // Back within RestartSec=1s and a start: every client is served again.
        #expect(
            eventually(timeout: .seconds(6)) { counts.served.load(ordering: .relaxed) > before + 1000 },
            "not served after the restart"
        )
        #expect(eventually(timeout: .seconds(10)) { threads.allSatisfy(\.isFinished) }, "a client hung")

        let errors = failures.withLock { $0 }
        #expect(!errors.isEmpty, "no client saw the crash")
        #expect(counts.refused.load(ordering: .relaxed) == 0, "a connect was refused while the service restarted")
        #expect(errors.allSatisfy { $0.hresult.isFailure && !$0.message.isEmpty }, "\(errors.prefix(3))")
        let show = { (property: String) in
            sandbox.systemctl(["show", "-p", property, "--value", "minifltd.service"]).standardOutput
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(show("NRestarts") == "1")
        #expect(show("ActiveState") == "active")
        let journal = sandbox.run(["journalctl", "-u", "minifltd.service", "--no-pager"]).standardOutput
        #expect(journal.contains("status=9/KILL"), "\(journal.suffix(1500))")
    }
}

extension SystemdSandboxTests {
    @Test("the template units: two instances serve two ports, each started by its first client")
    func templates() throws {
        let sandbox = try SystemdSandbox()
        defer { sandbox.stop() }
        let names = ["miniflttest_a_\(getpid())", "miniflttest_b_\(getpid())"]
        for name in names {
            #expect(sandbox.systemctl(["start", "minifltd@\(name).socket"]).status == 0)
            #expect(eventually { isListening("@\\" + name) })
        }
        for name in names {
            let client = try FilterPort.connect(to: "\\" + name)
            #expect(
                WideString.decode(try client.send(userToFilter("Hello"), outputCapacity: 4096), as: .utf16)
                    == "Hello, User"
            )
            client.close()
            let state = sandbox.systemctl(["show", "-p", "ActiveState", "--value", "minifltd@\(name).service"])
            #expect(state.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "active")
        }
        let status = sandbox.systemctl(["show", "-p", "StatusText", "--value", "minifltd@\(names[1]).service"])
        #expect(status.standardOutput.contains("listening on @\\" + names[1]), "\(status.standardOutput)")
    }
}

/// systemd as PID 1 of new pid, mount and cgroup namespaces, with the project's units.
struct SystemdSandbox {
    /// The port the sandbox's units serve, and its address.
    let port = Binaries.uniquePortName("sandbox")
    var address: String { "@" + port.lowercased() }
    /// The watching service's port (minifltd-watch.socket), and its configuration file, which the test writes.
    let watchPort = Binaries.uniquePortName("sandboxwatch")
    var watchConfiguration: URL { folder.appendingPathComponent("minifltd-watch.conf") }
    /// minifltscan's port (minifltscan.socket), and its options file (EnvironmentFile=), which the test writes.
    let scanPort = Binaries.uniquePortName("sandboxscan")
    var scanOptions: URL { folder.appendingPathComponent("minifltscan.default") }
    let folder: URL
    let unshare: Process
    let systemdPID: Int32

    init() throws {
        // Not under /tmp or /run: both are replaced inside the sandbox.
        folder = URL(
            fileURLWithPath: "/var/lib/minifltd-tests/sandbox-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        )
        let units = folder.appendingPathComponent("units")
        let manager = FileManager.default
        try manager.createDirectory(at: units, withIntermediateDirectories: true)
        chmod("/var/lib/minifltd-tests", 0o755)
        chmod(folder.path, 0o755)
        // The daemon, copied next to the units: the clone may live under /tmp, which the sandbox replaces.
        for program in [Binaries.minifltd, Binaries.minifltscan] {
            let binary = folder.appendingPathComponent(program.lastPathComponent)
            try manager.copyItem(at: program, to: binary)
            chmod(binary.path, 0o755)
        }

        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let systemd = repository.appendingPathComponent("systemd")
        try writeUnit(
            systemd.appendingPathComponent("minifltd.service"),
            to: units.appendingPathComponent("minifltd.service"),
            replacing: [
                "@SBINDIR@": folder.path,
                "--log-target journal": "--log-target journal --port \(port) --max-connections 16",
            ]
        )
        try writeUnit(
            systemd.appendingPathComponent("minifltd.socket"),
            to: units.appendingPathComponent("minifltd.socket"),
            replacing: ["ListenStream=@\\minifilterport_example": "ListenStream=@" + port.lowercased()]
        )
        // The templates, made from the pristine units as `make install` makes them (systemd/template.sed).
        for unit in ["minifltd.socket", "minifltd.service"] {
            let template = try runProgram(
                "/bin/sed",
                [
                    "-f", repository.appendingPathComponent("systemd/template.sed").path,
                    repository.appendingPathComponent("systemd/\(unit)").path,
                ]
            ).standardOutput.replacingOccurrences(of: "@SBINDIR@", with: folder.path)
            let name = unit.replacingOccurrences(of: "minifltd.", with: "minifltd@.")
            try template.write(to: units.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        // The watching service and the scanner, each on a port of the test's own, reading its options from the
        // folder.
        try writeServiceAndSocket(
            "minifltd-watch",
            from: systemd,
            to: units,
            binaries: folder.path,
            port: ("MiniFltWatch", watchPort),
            options: ("/etc/minifltd/minifltd-watch.conf", folder.appendingPathComponent("minifltd-watch.conf").path)
        )
        try writeServiceAndSocket(
            "minifltscan",
            from: systemd,
            to: units,
            binaries: folder.path,
            port: ("ScannerPort", scanPort),
            options: ("/etc/default/minifltscan", folder.appendingPathComponent("minifltscan.default").path)
        )
        try "[Unit]\nDescription=sandbox\nWants=systemd-journald.service\n"
            .write(to: units.appendingPathComponent("sandbox.target"), atomically: true, encoding: .utf8)
        for unit in ["systemd-journald.service", "systemd-journald.socket", "systemd-journald-dev-log.socket"] {
            try manager.copyItem(
                at: URL(fileURLWithPath: "/lib/systemd/system/\(unit)"),
                to: units.appendingPathComponent(unit)
            )
        }
        for target in ["sysinit", "sockets", "basic", "shutdown", "paths", "timers", "slices", "local-fs", "network"] {
            try "[Unit]\nDescription=\(target) (sandbox stub)\n"
                .write(to: units.appendingPathComponent("\(target).target"), atomically: true, encoding: .utf8)
        }
        let boot = folder.appendingPathComponent("boot.sh")
        try """
        #!/bin/sh
        mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/tmp \\
          && mount -t proc proc /proc || exit 1
        export SYSTEMD_UNIT_PATH="\(units.path)"
        exec /lib/systemd/systemd --system --unit=sandbox.target --log-level=notice

        """.write(to: boot, atomically: true, encoding: .utf8)
        chmod(boot.path, 0o755)

        unshare = Process()
        unshare.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        unshare.arguments = ["--pid", "--fork", "--mount", "--cgroup", "--uts", "--propagation", "private", boot.path]
        unshare.standardOutput = FileHandle.nullDevice
        unshare.standardError = FileHandle.nullDevice
        try unshare.run()
        var pid: Int32 = 0
        let unsharePID = unshare.processIdentifier
        _ = eventually {
            let children =
                (try? String(contentsOfFile: "/proc/\(unsharePID)/task/\(unsharePID)/children", encoding: .utf8)) ?? ""
            pid = Int32(children.split(separator: " ").first ?? "") ?? 0
            return pid > 0
        }
        systemdPID = pid
        let booted = eventually(timeout: .seconds(20)) {
            let state =
                (try? runProgram("/usr/bin/nsenter", ["-t", "\(pid)", "-a", "systemctl", "is-system-running"]))?
                .standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            return state == "running" || state == "degraded"
        }
        guard pid > 0, booted else {
            stop()
            throw SandboxError.didNotBoot
        }
    }

    /// Runs a command inside the sandbox's namespaces.
    func run(_ command: [String]) -> ProcessResult {
        (try? runProgram("/usr/bin/nsenter", ["-t", "\(systemdPID)", "-a"] + command))
            ?? ProcessResult(status: -1, standardOutput: "", standardError: "nsenter failed")
    }

    func systemctl(_ arguments: [String]) -> ProcessResult { run(["systemctl"] + arguments) }

    /// A property of `unit`, as `systemctl show` gives it.
    func property(_ name: String, of unit: String) -> String {
        systemctl(["show", "-p", name, "--value", unit]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The fields of /proc/PID/status of `unit`'s main process, read inside (`CapEff` to its hex mask, `Uid` to
    /// the real uid, ...), and the whole text for a failure's message.
    func mainProcessStatus(of unit: String) -> (fields: [String: String], text: String) {
        let text = run(["cat", "/proc/\(property("MainPID", of: unit))/status"]).standardOutput
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            guard let name = parts.first, name.hasSuffix(":"), parts.count > 1 else { continue }
            fields[String(name.dropLast())] = String(parts[1])
        }
        return (fields, text)
    }

    /// SIGKILL to the sandbox's PID 1 ends every process in it; then the folder goes.
    func stop() {
        if systemdPID > 0 { kill(systemdPID, SIGKILL) }
        unshare.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

enum SandboxError: Error { case didNotBoot }

/// Writes the unit file `source` to `destination` with each key's text replaced by its value: the tests' units
/// are the installed ones but for the binary's folder and a port of the test's own.
/// Writes `name`.service and `name`.socket into `units` with the binaries in `binaries`, a port of the test's own
/// (`port.unit` in the units becomes `port.test`) and the options file the service reads moved into the folder.
private func writeServiceAndSocket(
    _ name: String,
    from systemd: URL,
    to units: URL,
    binaries: String,
    port: (unit: String, test: String),
    options: (unit: String, test: String)
) throws {
    try writeUnit(
        systemd.appendingPathComponent("\(name).service"),
        to: units.appendingPathComponent("\(name).service"),
        replacing: [
            "@SBINDIR@": binaries,
            options.unit: options.test,
            "--port \\\\" + port.unit: "--port \\" + port.test,
        ]
    )
    try writeUnit(
        systemd.appendingPathComponent("\(name).socket"),
        to: units.appendingPathComponent("\(name).socket"),
        replacing: ["ListenStream=@\\" + port.unit.lowercased(): "ListenStream=@" + port.test.lowercased()]
    )
}

func writeUnit(_ source: URL, to destination: URL, replacing replacements: KeyValuePairs<String, String>) throws {
    var text = try String(contentsOf: source, encoding: .utf8)
    for (old, new) in replacements { text = text.replacingOccurrences(of: old, with: new) }
    try text.write(to: destination, atomically: true, encoding: .utf8)
}

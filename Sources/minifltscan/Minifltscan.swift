// SPDX-License-Identifier: MIT
import ArgumentParser
import Dispatch
import Logging
import MiniFltFilter
import MiniFltLogging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltSystemd
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// minifltscan: Microsoft's scanner minifilter sample ported to Linux (docs/protocol.md section 8, "The scanner"), a
/// program of its own on MiniFltServer and MiniFltFilter.
@main
struct Minifltscan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minifltscan",
        abstract: "The Windows scanner minifilter sample on Linux: a client scans files before they open.",
        discussion: """
            Serves \\ScannerPort (one connection, the default permission descriptor). Each open of a watched file \
            with a scanned extension sends the file's first 1,024 bytes to the client as SCANNER_NOTIFICATION; \
            a SCANNER_REPLY with SafeToOpen 0 fails the open with EPERM. A file written and closed is scanned \
            again, and its next opens are denied if that scan finds it unsafe. Without a client, opens proceed. \
            With --pass-descriptors, a client that connected with FLT_PORT_FLAG_DESCRIPTORS gets the file's \
            descriptor and an 8-byte notification (BytesToScan 0) instead, and reads the file itself. \
            Under systemd (minifltscan.service) it takes its listening socket from socket activation and reports \
            readiness (Type=notify).
            Exit status: 0 after SIGTERM or SIGINT; 1 when the port, the socket systemd passed or the watch cannot \
            be set up (the message says why); 64 for a usage error.
            """,
        version: ProductVersion.string
    )

    @Option(help: "The port name; it maps to the abstract address @<name in lowercase>.")
    var port = "\\ScannerPort"

    @Option(
        name: .customLong("watch"),
        help: "Scan opens of the files in this directory (fanotify; needs CAP_SYS_ADMIN). Repeatable."
    )
    var watchPaths: [String] = []

    @Option(
        name: .customLong("watch-tree"),
        help: "As --watch, for this directory and every directory below it. Repeatable."
    )
    var watchTrees: [String] = []

    @Option(
        name: .customLong("watch-mount"),
        help: "As --watch, for every file of the mount that holds this path. Repeatable."
    )
    var watchMounts: [String] = []

    @Option(help: "The file name extensions scanned, comma-separated, compared without regard to case.")
    var extensions = ScannedExtensions.sampleDefault.joined(separator: ",")

    @Option(help: "Seconds an open waits for the client's scan before it proceeds.")
    var scanTimeout = 5.0

    @Option(help: "Opens waiting for a scan at once; past it an open proceeds without one.")
    var maxScansInFlight = 64

    @Option(
        help:
            "true: an allowed file is not scanned again until it is written (flushed on connect and disconnect); false: every open is scanned, as the sample does."
    )
    var verdictCache = true

    @Flag(
        name: .customLong("pass-descriptors"),
        help:
            "To a client that connected with FLT_PORT_FLAG_DESCRIPTORS, send the opened file's descriptor with a SCANNER_NOTIFICATION of BytesToScan 0 instead of copying its first 1,024 bytes (docs/protocol.md sections 8 and 12)."
    )
    var passDescriptors = false

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard !(watchPaths + watchTrees + watchMounts).isEmpty else {
            throw ValidationError("name what to watch: --watch, --watch-tree or --watch-mount")
        }
        guard scanTimeout > 0, scanTimeout <= 3600 else {
            throw ValidationError("--scan-timeout must be between 0 and 3600 seconds")
        }
        guard maxScansInFlight >= 1, maxScansInFlight <= 1024 else {
            throw ValidationError("--max-scans-in-flight must be between 1 and 1024")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical")
        }
        guard (try? PortName(port)) != nil else { throw ValidationError("--port \(port) is not a port name") }
    }

    func run() throws {
        // Under minifltscan.service, entries go to the journal with their priority (a warning stays a
        // warning); elsewhere, one line each on stderr.
        let writer: any LogWriter =
            JournalStream.isStandardError
            ? JournalLogWriter(identifier: "minifltscan", messageIDs: [:]) : ConsoleLogWriter()
        let queue = LogQueue(label: "minifltscan", writer: writer)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let logger = Logger(label: "minifltscan") { QueuedLogHandler(label: $0, queue: queue, level: level) }
        let targets =
            watchPaths.map(WatchTarget.directory) + watchTrees.map(WatchTarget.tree)
            + watchMounts.map(WatchTarget.mount)
        let scanned = ScannedExtensions(extensions.split(separator: ",").map(String.init))
        let scanner: ScannerFilter
        do {
            scanner = try ScannerFilter(
                targets: targets,
                extensions: scanned,
                timeout: .milliseconds(Int64(scanTimeout * 1000)),
                maxInFlight: maxScansInFlight,
                verdictCache: verdictCache,
                passDescriptors: passDescriptors,
                logger: logger
            )
            try scanner.start()
        } catch {
            Minifltscan.fail(
                error.errno == EPERM
                    ? "fanotify refused to watch (EPERM): it needs CAP_SYS_ADMIN (run minifltscan as root), and a "
                        + "system-call filter must let fanotify_init and fanotify_mark through, as minifltscan.service does"
                    : "watching: \(error)",
                queue: queue
            )
        }
        let scanning =
            "scanning opens of \(targets.map(\.description).joined(separator: ", ")) with extensions \(scanned) for clients of \(port)"
        // `systemctl status` says whether anyone scans (STATUS=; nothing without a service manager). It is sent
        // from the routine queue only, READY=1's too, so that the last one sent is the true one.
        let notifier = ServiceNotifier()
        let status: @Sendable () -> String = {
            scanning
                + (scanner.clientPID.map { "; client pid \($0) connected" } ?? "; no client: opens proceed unscanned")
        }
        let routineQueue = DispatchQueue(label: "minifltscan.routines")
        let routines = PortRoutines<Void, ClientPort>(
            connect: { client, _, _ in
                scanner.connected(client)
                logger.info("scanner client connected (pid \(client.peer.pid), uid \(client.peer.uid))")
                notifier.status(status())
                return .accept(client)
            },
            disconnect: { client in
                scanner.disconnected(client)
                logger.info("scanner client disconnected (pid \(client.peer.pid)); opens proceed unscanned")
                notifier.status(status())
            },
            message: nil
        )
        // The default descriptor and one connection, as the sample's FltCreateCommunicationPort.
        var configuration: ServerPortConfiguration
        do {
            configuration = ServerPortConfiguration(name: try PortName(port))
            configuration.maxConnections = 1
            // Under minifltscan.socket systemd listens: clients then see uid 0 as the server, which they check
            // (docs/protocol.md section 1), although the service runs as a dynamic user.
            if let descriptor = try ActivatedSocket.listeningDescriptor() {
                configuration.listener = .inherited(descriptor: descriptor)
                logger.info("using the socket systemd passed (fd \(descriptor))")
            }
        } catch {
            scanner.stop()
            Minifltscan.fail("socket activation: \(error)", queue: queue)
        }
        let server: ServerPort
        do {
            server = try ServerPort(
                configuration: configuration,
                serverCookie: (),
                routines: routines,
                routineQueue: routineQueue,
                logger: logger
            )
        } catch {
            scanner.stop()
            Minifltscan.fail("\(error)", queue: queue)
        }
        logger.info("\(scanning)")
        routineQueue.async { Minifltscan.announceReady(status: status, on: routineQueue) }
        let stop: @Sendable () -> Void = {
            notifier.stopping(status: "stopping: opens proceed unscanned")
            // The group first: every open still waiting proceeds and none waits on a client that is leaving.
            scanner.stop()
            _ = server.shutdown()
            logger.info("stopped: \(scanner.statusLine)")
            _ = queue.flush(timeout: .seconds(1))
            Glibc.exit(0)
        }
        // One pipe and a thread, as minifltd's signals (MiniFltPosix's SignalPipe): under AddressSanitizer a
        // Dispatch signal source's sigsuspend overflowed libdispatch's signal mask. A second signal while
        // stopping exits at once with 1.
        let stopping = Atomic<Bool>(false)
        do {
            try SignalPipe.start([SIGTERM, SIGINT]) { _ in
                if stopping.exchange(true, ordering: .relaxed) { Glibc.exit(1) }
                stop()
            }
        } catch {
            scanner.stop()
            Minifltscan.fail("cannot catch signals: \(error)", queue: queue)
        }
        dispatchMain()
    }

    /// READY=1 for Type=notify, on `queue`, sent again until systemd's socket takes it: ServiceNotifier never
    /// waits, and its queue can be full while systemd itself waits on an open of a watched file.
    private static func announceReady(status: @escaping @Sendable () -> String, on queue: DispatchQueue) {
        let notifier = ServiceNotifier()
        guard notifier.isEnabled, !notifier.ready(status: status()) else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(100)) { announceReady(status: status, on: queue) }
    }

    private static func fail(_ message: String, queue: LogQueue) -> Never {
        var standardError = StandardError()
        print("minifltscan: \(message)", to: &standardError)
        _ = queue.flush(timeout: .seconds(1))
        Glibc.exit(1)
    }
}

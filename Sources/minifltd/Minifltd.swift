// SPDX-License-Identifier: MIT
public import ArgumentParser
import Dispatch
public import Logging
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

/// The minifltd daemon: the seed's example filter on a communication port.
@main
struct Minifltd: ParsableCommand {
    /// Reads the configuration file first (``ConfigFile``): its options, then the command line's.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            main(try combinedArguments(arguments))
        } catch {
            exitWithUsageMessage("\(error)")
        }
    }

    /// The configuration file's options, then `arguments`; each line of the file alone must be an option
    /// minifltd knows, with a value it takes, or the error says which line is not.
    static func combinedArguments(_ arguments: [String]) throws(ConfigFileError) -> [String] {
        guard let path = ConfigFile.path(in: arguments) else { return arguments }
        let file = try ConfigFile.load(path)
        for entry in file.entries {
            do {
                _ = try parseAsRoot(["--\(entry.key)", entry.value])
            } catch {
                throw ConfigFileError("\(path):\(entry.line): \(entry.key): \(message(for: error))")
            }
        }
        return file.arguments + arguments
    }

    /// The options of the configuration file and `arguments`, as a reload reads them.
    static func parse(arguments: [String]) throws -> Minifltd {
        let combined = try combinedArguments(arguments)
        do {
            guard let options = try parseAsRoot(combined) as? Minifltd else {
                throw ConfigFileError("the options do not make a minifltd command line")
            }
            return options
        } catch let error as ConfigFileError {
            throw error
        } catch {
            throw ConfigFileError(message(for: error))
        }
    }

    /// Prints `minifltd: message` and exits 2, before logging exists.
    private static func exitWithUsageMessage(_ message: String) -> Never {
        var standardError = StandardError()
        print("minifltd: \(message)", to: &standardError)
        Glibc.exit(2)
    }

    static let configuration = CommandConfiguration(
        commandName: "minifltd",
        abstract: "Serve a Windows-style filter communication port on an abstract Unix socket.",
        discussion: """
            Runs the seed example's routines: it logs each client's connect, first messages and disconnect, and \
            answers a 4096-byte message with "Hello, User" when the client's reply buffer is 4096 bytes. Later \
            messages are logged at debug and counted in a periodic activity summary.
            Exit status: 0 after SIGTERM or SIGINT; 1 when the port cannot be created or served (the message says \
            why); 2 for an option whose value cannot be used (a descriptor or port name that does not parse, a \
            --watch path that cannot be watched); 64 for a usage error (an unknown option, a value out of range).
            """,
        version: ProductVersion.string
    )

    @Option(help: "The port name; it maps to the abstract address @<name in lowercase>.")
    var port = PortName.example

    @Option(
        help:
            "Serve the port on this socket file (mode 0666; the permission descriptor decides) instead of its abstract address, for runtimes and containers that cannot reach one; clients name the port by this path."
    )
    var socketPath: String?

    @Option(help: "Connections at once; the next connect gets 0x800704D6.")
    var maxConnections = 1

    @Option(help: "The permission descriptor in SDDL (default: administrators and the system only).")
    var sddl: String?

    @Option(name: .customLong("allow-user"), help: "Also admit this user (name or uid); repeatable.")
    var allowUsers: [String] = []

    @Option(name: .customLong("allow-group"), help: "Also admit members of this group (name or gid); repeatable.")
    var allowGroups: [String] = []

    @Option(help: "The largest message body in bytes.")
    var maxMessageSize = 1 << 20

    @Option(help: "Seconds a connection may take to send CONNECT.")
    var handshakeTimeout = 5.0

    @Option(help: "Seconds the rest of a frame may take once its first bytes arrived.")
    var frameTimeout = 5.0

    @Option(help: "Connections waiting for their handshake; past this many the uid with the most loses its oldest.")
    var maxPendingHandshakes = 64

    @Option(help: "Sends one connection may have outstanding; more are answered STATUS_INSUFFICIENT_RESOURCES.")
    var maxOutstandingSends = 128

    @Option(help: "Bytes queued towards a client that does not read before it is disconnected.")
    var maxQueuedOutputBytes = 4 << 20

    @Option(
        name: .customLong("watch"),
        help:
            "Send each open of the files in this directory (or of this file) to the connected client for a verdict (fanotify; needs CAP_SYS_ADMIN). Repeatable."
    )
    var watchPaths: [String] = []

    @Option(
        name: .customLong("watch-tree"),
        help: "As --watch, for this directory and every directory below it, including ones made later. Repeatable."
    )
    var watchTrees: [String] = []

    @Option(
        name: .customLong("watch-mount"),
        help: "As --watch, for every file of the mount that holds this path (FAN_MARK_MOUNT). Repeatable."
    )
    var watchMounts: [String] = []

    @Option(
        name: .customLong("watch-filesystem"),
        help:
            "As --watch, for every file of the file system that holds this path, in all its mounts (FAN_MARK_FILESYSTEM, Linux 4.20). Repeatable."
    )
    var watchFilesystems: [String] = []

    @Option(help: "Seconds to wait for the client's verdict on an open before allowing it.")
    var verdictTimeout = 5.0

    @Option(
        help:
            "Watched opens asked of clients at once; past it an open is allowed at once without asking."
    )
    var maxOpensInFlight = 16

    @Option(
        help:
            "allow or deny: the answer for a watched open past --max-opens-in-flight, given at once without asking."
    )
    var fullVerdict: FullVerdict = .allow

    @Option(
        help:
            "true: an allowed file is not asked about again until it is written (flushed on connect, disconnect and SIGHUP)."
    )
    var verdictCache = true

    @Flag(
        name: .customLong("pass-descriptors"),
        help:
            "Send the opened file's descriptor with each FLT_TO_USER to clients that connected with FLT_PORT_FLAG_DESCRIPTORS (docs/protocol.md section 12)."
    )
    var passDescriptors = false

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Seconds between activity summaries (each only when something was not logged one by one).")
    var logSummaryInterval = 10.0

    @Option(help: "Seconds the example's message routine waits before it answers (for testing clients' timeouts).")
    var replyDelay = 0.0

    @Option(
        help: "auto (the journal when stderr goes there or the journal runs, else the console), journal or console."
    )
    var logTarget: LogTarget = .auto

    @Option(
        help:
            "The management port minifltctl status asks (default: the port's name followed by .Control); 'none' for no management port."
    )
    var controlPort: String?

    @Option(help: "The management port's permission descriptor in SDDL (default: administrators and the system only).")
    var controlSddl: String?

    @Option(help: "The configuration file (default \(ConfigFile.defaultPath), when it exists); the command line wins.")
    var config: String?

    @Flag(help: "Check the configuration file and options, say what is wrong (file, line, option), and exit.")
    var checkConfig = false

    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxMessageSize >= 16 else { throw ValidationError("--max-message-size must be at least 16 bytes") }
        guard handshakeTimeout > 0, handshakeTimeout <= 3600 else {
            throw ValidationError("--handshake-timeout must be between 0 and 3600 seconds")
        }
        guard verdictTimeout > 0, verdictTimeout <= 3600 else {
            throw ValidationError("--verdict-timeout must be between 0 and 3600 seconds")
        }
        guard maxOpensInFlight >= 1, maxOpensInFlight <= 1024 else {
            throw ValidationError("--max-opens-in-flight must be between 1 and 1024")
        }
        guard frameTimeout > 0, frameTimeout <= 3600 else {
            throw ValidationError("--frame-timeout must be between 0 and 3600 seconds")
        }
        guard logSummaryInterval >= 0.1, logSummaryInterval <= 86400 else {
            throw ValidationError("--log-summary-interval must be between 0.1 and 86400 seconds")
        }
        guard replyDelay >= 0, replyDelay <= 3600 else {
            throw ValidationError("--reply-delay must be between 0 and 3600 seconds")
        }
        guard maxPendingHandshakes >= 1 else { throw ValidationError("--max-pending-handshakes must be at least 1") }
        guard maxOutstandingSends >= 1 else { throw ValidationError("--max-outstanding-sends must be at least 1") }
        guard maxQueuedOutputBytes >= 65536 else {
            throw ValidationError("--max-queued-output-bytes must be at least 65536")
        }
    }

    func run() throws {
        if checkConfig { checkConfiguration() }
        let logging = DaemonLogging(level: logLevel, target: logTarget)
        var logger = logging.logger
        logger.event(.info, .starting, "minifltd starting (pid \(getpid()))")
        let startedAt = StatusReport.now()
        var configuration: ServerPortConfiguration
        do {
            configuration = try portConfiguration()
        } catch {
            Minifltd.fail(located(error), exitCode: 2, logging: logging)
        }
        logger[metadataKey: PortMetadataKey.port] = "\(configuration.name)"
        if configuration.permissions.admitsEveryone {
            logger.warning("the permission descriptor has no DACL (a NULL DACL): every local process may connect")
        }
        logger.info("permission descriptor \(configuration.permissions)")
        if !MallocTuning.keepFreedMemory(forMessagesUpTo: configuration.maxMessageSize) {
            logger.notice("glibc refused the malloc thresholds; large messages may cost page faults")
        }
        DescriptorLimit.raise(for: configuration, logger: logger)

        // Signals are handled before the port exists: a SIGTERM right after bind must still exit 0, and
        // Dispatch opens its own descriptors for the sources, which should not appear once clients connect.
        let running = RunningPort()
        let watcher = StateLock<OpenVerdicts?>(nil)
        let reload = StateLock<Reload?>(nil)
        let runningControl = StateLock<ServerPort?>(nil)
        let signalLogger = logger
        Signals.install(
            logger: signalLogger,
            shutdown: {
                guard let (port, monitor, summary) = running.port.withLock({ $0 }) else { return }
                // First: every open still waiting proceeds, and none waits on a client that is leaving.
                watcher.withLock { $0 }?.stop()
                monitor.stopping()
                signalLogger.event(
                    .info,
                    .stopping,
                    "stopping: no longer accepting; disconnecting \(port.statistics.snapshot.connectedClients) clients"
                )
                port.shutdown()
                runningControl.withLock { $0 }?.shutdown(timeout: .seconds(1))
                summary.finish()
            },
            counters: { running.port.withLock { $0?.1.statusLine } ?? "the port does not exist yet" },
            flush: { logging.queue.flush(timeout: .seconds(1)) },
            hangup: {
                guard let reload = reload.withLock({ $0 }) else {
                    return (.notice, "the port does not exist yet; nothing reloaded")
                }
                return reload.reload(arguments: Array(CommandLine.arguments.dropFirst()))
            }
        )
        let control: (name: PortName, permissions: PermissionDescriptor)?
        do {
            control = try controlConfiguration()
        } catch {
            Minifltd.fail(located(error), exitCode: 2, logging: logging)
        }
        var controlListener = ServerPortConfiguration.Listener.bind
        do {
            // The filter port's socket, and the management port's when the socket unit listens on both.
            for descriptor in try ActivatedSocket.listeningDescriptors(atMost: 2) {
                let bound = try? AbstractSocket.boundName(of: descriptor)
                if let control, bound == control.name.addressBytes {
                    controlListener = .inherited(descriptor: descriptor)
                } else {
                    configuration.listener = .inherited(descriptor: descriptor)
                    logger.info("using the socket systemd passed (fd \(descriptor))")
                }
            }
        } catch {
            Minifltd.fail("socket activation: \(error)", exitCode: 1, logging: logging)
        }
        let clients = ClientRegistry()
        let counters = ActivityCounters()
        let verdicts = watchTargets.isEmpty ? nil : openVerdicts(clients: clients, counters: counters, logging: logging)
        // Watching starts before the port listens, so that whoever sees the port can count on the marks.
        if let verdicts {
            do {
                try verdicts.start()
            } catch {
                Minifltd.fail("watching opens: \(error)", exitCode: 2, logging: logging)
            }
            watcher.withLock { $0 = verdicts }
            logger.info(
                "watching opens of the \(watchTargets.map(\.description).joined(separator: ", ")); verdict timeout \(verdictTimeout) s, \(maxOpensInFlight) at once (past that: \(fullVerdict.rawValue)), cache \(verdictCache ? "on" : "off")"
            )
        }
        let routineQueue = DispatchQueue(label: "minifltd.routines")
        var filter = ExampleFilter(logger: logger, clients: clients, counters: counters)
        filter.replyDelay = .milliseconds(Int64(replyDelay * 1000))
        let port: ServerPort
        do {
            port = try ServerPort(
                configuration: configuration,
                serverCookie: (),
                routines: filter.routines,
                routineQueue: routineQueue,
                logger: logger
            )
        } catch {
            Minifltd.fail("\(error)", exitCode: 1, logging: logging)
        }
        do {
            try verdicts?.serve(on: port)
        } catch {
            Minifltd.fail("watching opens: \(error)", exitCode: 1, logging: logging)
        }
        var controlPort: ServerPort?
        if let control {
            let report = StatusReport(
                port: port,
                controlName: control.name.name,
                counters: counters,
                startedAt: startedAt,
                watching: verdicts != nil
            )
            do {
                controlPort = try ControlPort.start(
                    name: control.name,
                    permissions: control.permissions,
                    listener: controlListener,
                    report: report,
                    logger: logger
                )
            } catch {
                // The filter port serves on: the management port is for people, the filter port for clients.
                logger.warning("no management port, so minifltctl status will not answer: \(error)")
            }
        }
        runningControl.withLock { $0 = controlPort }
        var watchStatus: (@Sendable () -> String)?
        if let verdicts { watchStatus = { verdicts.statusLine } }
        let serviceMonitor = ServiceMonitor(
            port: port,
            routineQueue: routineQueue,
            logger: logger,
            watchStatus: watchStatus
        )
        let summary = ActivitySummary(
            counters: counters,
            port: port,
            budget: logging.budget,
            queue: logging.queue,
            logger: logger,
            interval: .milliseconds(Int64(logSummaryInterval * 1000))
        )
        running.port.withLock { $0 = (port, serviceMonitor, summary) }
        reload.withLock { $0 = Reload(options: self, port: port, level: logging.level, filter: verdicts?.filter) }
        serviceMonitor.start()
        summary.start()
        dispatchMain()
    }

    /// Every option's value as the command line spells it, for a reload to compare.
    var optionValues: [String: String] {
        [
            "port": port, "socket-path": socketPath ?? "", "max-connections": "\(maxConnections)", "sddl": sddl ?? "",
            "allow-user": allowUsers.joined(separator: ","), "allow-group": allowGroups.joined(separator: ","),
            "max-message-size": "\(maxMessageSize)", "handshake-timeout": "\(handshakeTimeout)",
            "frame-timeout": "\(frameTimeout)", "max-pending-handshakes": "\(maxPendingHandshakes)",
            "max-outstanding-sends": "\(maxOutstandingSends)", "max-queued-output-bytes": "\(maxQueuedOutputBytes)",
            "watch": watchPaths.joined(separator: ","), "watch-tree": watchTrees.joined(separator: ","),
            "watch-mount": watchMounts.joined(separator: ","),
            "watch-filesystem": watchFilesystems.joined(separator: ","), "verdict-timeout": "\(verdictTimeout)",
            "max-opens-in-flight": "\(maxOpensInFlight)", "verdict-cache": "\(verdictCache)",
            "log-level": "\(logLevel)", "log-summary-interval": "\(logSummaryInterval)",
            "reply-delay": "\(replyDelay)", "log-target": "\(logTarget)", "control-port": controlPort ?? "",
            "control-sddl": controlSddl ?? "",
        ]
    }

    /// What `--watch`, `--watch-tree`, `--watch-mount` and `--watch-filesystem` name.
    var watchTargets: [WatchTarget] {
        watchPaths.map(WatchTarget.directory) + watchTrees.map(WatchTarget.tree) + watchMounts.map(WatchTarget.mount)
            + watchFilesystems.map(WatchTarget.filesystem)
    }

    /// The open watcher's filter; exits with a clear message when it cannot be made.
    private func openVerdicts(
        clients: ClientRegistry,
        counters: ActivityCounters,
        logging: DaemonLogging
    ) -> OpenVerdicts {
        do {
            return try OpenVerdicts(
                targets: watchTargets,
                clients: clients,
                timeout: .milliseconds(Int64(verdictTimeout * 1000)),
                maxInFlight: maxOpensInFlight,
                fullVerdict: fullVerdict.verdict,
                cache: verdictCache,
                passDescriptors: passDescriptors,
                counters: counters,
                logger: logging.logger
            )
        } catch {
            let advice =
                error.errno == EPERM
                ? "--watch needs CAP_SYS_ADMIN: run minifltd as root (or grant the capability)" : "--watch: \(error)"
            Minifltd.fail(advice, exitCode: 1, logging: logging)
        }
    }

    /// `--check-config`: everything `run` would refuse at start, then exit 0, or 2 with the reason.
    private func checkConfiguration() -> Never {
        var standardError = StandardError()
        do {
            _ = try portConfiguration()
            _ = try controlConfiguration()
            let options = [
                ("watch", watchPaths), ("watch-tree", watchTrees), ("watch-mount", watchMounts),
                ("watch-filesystem", watchFilesystems),
            ]
            for (option, paths) in options {
                for path in paths where access(path, F_OK) != 0 {
                    throw ConfigurationError(
                        "--\(option): \(path): \(String(cString: strerror(errno)))",
                        option: option
                    )
                }
            }
        } catch {
            print("minifltd: \(located(error))", to: &standardError)
            Glibc.exit(2)
        }
        var standardOutput = StandardOutput()
        let source = ConfigFile.path(in: Array(CommandLine.arguments.dropFirst())).map {
            " (\($0) and the command line)"
        }
        print("minifltd: configuration OK\(source ?? " (the command line)")", to: &standardOutput)
        Glibc.exit(0)
    }

    /// A configuration error with the file and line of the option, when the option came from the file.
    private func located(_ error: any Error) -> String {
        Minifltd.locate(error, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    /// `error`, preceded by `file:line` when its option came from the configuration file.
    static func locate(_ error: any Error, arguments: [String]) -> String {
        guard let error = error as? ConfigurationError, let option = error.option,
            !arguments.contains(where: { $0 == "--\(option)" || $0.hasPrefix("--\(option)=") }),
            let path = ConfigFile.path(in: arguments),
            let location = (try? ConfigFile.load(path))?.location(of: option)
        else { return "\(error)" }
        return "\(location): \(error)"
    }

    /// The management port's name and descriptor; nil for `--control-port none`.
    func controlConfiguration() throws -> (name: PortName, permissions: PermissionDescriptor)? {
        if controlPort == "none" { return nil }
        let name: PortName
        do {
            name = try PortName(controlPort ?? ControlPort.defaultName(for: port))
        } catch {
            throw ConfigurationError("--control-port: \(error)", option: "control-port")
        }
        guard let controlSddl else { return (name, .filterPortDefault) }
        do {
            return (name, try PermissionDescriptor(sddl: controlSddl))
        } catch {
            throw ConfigurationError("--control-sddl: \(error)", option: "control-sddl")
        }
    }

    /// The server port's configuration from the options.
    func portConfiguration() throws -> ServerPortConfiguration {
        let name: PortName
        do {
            name = try PortName(port)
        } catch {
            throw ConfigurationError("--port: \(error) [STATUS_OBJECT_NAME_INVALID (0xc0000033)]", option: "port")
        }
        var configuration = ServerPortConfiguration(name: name)
        if let socketPath {
            guard socketPath.hasPrefix("/"), let pathName = try? PortName(socketPath) else {
                throw ConfigurationError(
                    "--socket-path: '\(socketPath)' must be an absolute path of at most 107 bytes",
                    option: "socket-path"
                )
            }
            configuration.name = pathName
        }
        if let sddl {
            do {
                configuration.permissions = try PermissionDescriptor(sddl: sddl)
            } catch {
                throw ConfigurationError("--sddl: \(error)", option: "sddl")
            }
        }
        var sids: [SecurityIdentifier] = []
        for user in allowUsers {
            guard let uid = AccountLookup.uid(of: user) else {
                throw ConfigurationError(
                    "--allow-user: no user named '\(user)' (give a name from /etc/passwd or a uid)",
                    option: "allow-user"
                )
            }
            sids.append(.unixUser(uid))
        }
        for group in allowGroups {
            guard let gid = AccountLookup.gid(of: group) else {
                throw ConfigurationError(
                    "--allow-group: no group named '\(group)' (give a name from /etc/group or a gid)",
                    option: "allow-group"
                )
            }
            sids.append(.unixGroup(gid))
        }
        configuration.permissions = configuration.permissions.allowing(sids)
        configuration.maxConnections = maxConnections
        configuration.maxMessageSize = maxMessageSize
        configuration.handshakeTimeout = .milliseconds(Int64(handshakeTimeout * 1000))
        configuration.frameTimeout = .milliseconds(Int64(frameTimeout * 1000))
        configuration.maxPendingHandshakes = maxPendingHandshakes
        configuration.maxOutstandingSends = maxOutstandingSends
        configuration.maxQueuedOutputBytes = maxQueuedOutputBytes
        return configuration
    }

    /// Writes out what the log holds (for a second at most), prints `minifltd: message` to stderr and exits.
    static func fail(_ message: String, exitCode: Int32, logging: DaemonLogging) -> Never {
        logging.queue.flush(timeout: .seconds(1))
        var standardError = StandardError()
        print("minifltd: \(message)", to: &standardError)
        Glibc.exit(exitCode)
    }
}

/// The port, its monitor and its activity summary once they exist, for the signal handlers.
final class RunningPort: Sendable {
    let port = StateLock<(ServerPort, ServiceMonitor, ActivitySummary)?>(nil)
}

/// A start-up configuration problem, said in words, and the option it is about.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    var option: String?
    init(_ description: String, option: String? = nil) {
        self.description = description
        self.option = option
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

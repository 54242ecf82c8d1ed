// SPDX-License-Identifier: MIT
public import Dispatch
public import Logging
import MiniFltPosix
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A named communication port that clients connect to; mirrors `FltCreateCommunicationPort`.
///
/// The port listens on the abstract Unix socket its name maps to (``MiniFltWire/PortName``), checks each
/// connecting peer against the permission descriptor and the connection limit, and runs the routines on the
/// given Dispatch queue. See docs/protocol.md sections 1 to 6 and 10.
///
/// ```swift
/// let port = try ServerPort(
///     configuration: ServerPortConfiguration(name: PortName("\\MiniFilterPort_Example")),
///     serverCookie: (),
///     routines: PortRoutines(connect: { client, _, _ in .accept(client) }, disconnect: { _ in }, message: nil),
///     routineQueue: DispatchQueue(label: "routines"),
///     logger: logger
/// )
/// ```
///
/// # Thread safety
/// All methods may be called from any thread, but not from inside a routine where they wait
/// (``shutdown(timeout:)``).
public final class ServerPort: Sendable {
    /// The port's configuration, with the settings of the last ``update(_:)``.
    public var configuration: ServerPortConfiguration { engine.currentConfiguration }
    /// Connection and message counters.
    public var statistics: PortStatistics { engine.statistics }

    private let engine: PortEngine
    /// The socket file this port made, removed at shutdown (ports named by a path, docs/protocol.md section 1).
    private let socketFile: (path: String, inode: UInt64)?

    /// Creates the port and starts listening.
    /// - Parameters:
    ///   - configuration: name, permission descriptor, limits and where the listening socket comes from.
    ///   - serverCookie: handed to every connect routine (`ServerPortCookie` on Windows).
    ///   - routines: the connect, disconnect and message routines.
    ///   - routineQueue: where the routines run, one at a time.
    ///   - logger: receives one line per event, with the client's pid, uid and gid as metadata.
    /// - Throws: ``ServerPortError``: `STATUS_OBJECT_NAME_COLLISION` when another process holds the address,
    ///   `STATUS_INVALID_PARAMETER` for an inherited socket that is not a listening socket at this address.
    public init<ServerCookie: Sendable, ConnectionCookie: Sendable>(
        configuration: ServerPortConfiguration,
        serverCookie: ServerCookie,
        routines: PortRoutines<ServerCookie, ConnectionCookie>,
        routineQueue: DispatchQueue,
        logger: Logger
    ) throws(ServerPortError) {
        var logger = logger
        logger[metadataKey: PortMetadataKey.port] = "\(configuration.name.name)"
        let (descriptor, inode) = try ServerPort.listeningDescriptor(for: configuration)
        socketFile = inode.flatMap { inode in configuration.name.socketPath.map { ($0, inode) } }
        do {
            engine = try PortEngine(
                configuration: configuration,
                routines: ErasedRoutines(routines, serverCookie: serverCookie),
                routineQueue: routineQueue,
                logger: logger,
                listenDescriptor: descriptor
            )
        } catch {
            closeDescriptor(descriptor)
            if let socketFile { SocketFile.remove(socketFile.path, inode: socketFile.inode) }
            throw ServerPortError(
                status: .insufficientResources,
                message: "cannot set up the event loop for port \(configuration.name)",
                underlyingError: "\(error)"
            )
        }
        engine.start()
        logger.event(
            .info,
            .listening,
            "port \(configuration.name) listening on \(configuration.name.address), max connections \(configuration.maxConnections)"
        )
    }

    /// Changes the settings a running port takes without a restart, for connections accepted from now on;
    /// connected clients stay connected (see ``ServerPortUpdate`` for which settings and why only those).
    /// Windows has no analogue. Safe from any thread, routines included; values below 1 are raised to 1.
    public func update(_ update: ServerPortUpdate) {
        engine.apply(update)
        if !update.isEmpty {
            let current = engine.currentConfiguration
            engine.logger.info(
                "port \(current.name) updated: max connections \(current.maxConnections), max pending handshakes \(current.maxPendingHandshakes), permission descriptor \(current.permissions)"
            )
        }
    }

    /// Calls `completion` from the port's I/O path once it next turns: a liveness probe for a watchdog. A
    /// completion that does not come means the I/O path is stuck; pair it with a block queued on the routine
    /// queue to see that routines make progress too.
    public func probeEventLoop(_ completion: @escaping @Sendable () -> Void) {
        engine.probe(completion)
    }

    /// Serves `descriptor` on the port's I/O thread: `onReadable` runs there, level-triggered, while the
    /// descriptor is readable, between the port's own reads and writes. No Windows counterpart: there the
    /// Filter Manager calls a minifilter on the thread of the operation. Here a filter's fanotify group read
    /// by the port's thread costs each verdict no thread hand-off: the thread that sends the question reads
    /// the answer too (see MiniFltFilter's `MiniFilter.startWithoutReader()`).
    ///
    /// `onReadable` must not block: every client of the port waits while it runs. It may run on the standby
    /// thread while a routine runs long, so it serializes itself. Call ``stopServing(_:)`` before the
    /// descriptor is closed.
    /// - Throws: `STATUS_INVALID_PARAMETER` for a descriptor epoll cannot watch (a regular file, a closed one),
    ///   `STATUS_INSUFFICIENT_RESOURCES` when the kernel is out of memory for it.
    public func serve(
        _ descriptor: Int32,
        onReadable: @escaping @Sendable () -> Void
    ) throws(ServerPortError) -> ServedDescriptor {
        do {
            return ServedDescriptor(
                id: try engine.addSource(descriptor, onReadable: onReadable),
                descriptor: descriptor
            )
        } catch {
            throw ServerPortError(
                status: error.errno == ENOMEM || error.errno == ENOSPC ? .insufficientResources : .invalidParameter,
                message: "the port cannot serve descriptor \(descriptor) on its event loop",
                underlyingError: "\(error)"
            )
        }
    }

    /// Stops calling the handler of ``serve(_:onReadable:)``. A call already under way may finish after this
    /// returns; the handler must tolerate that (a filter's does: it reads nothing once stopped).
    public func stopServing(_ served: ServedDescriptor) {
        engine.removeSource(served.id, descriptor: served.descriptor)
    }

    /// Deadline entries the port holds, live or stale (handshakes, partial frames), which must stay bounded
    /// by the open connections whatever the timeouts. For tests.
    package var storedDeadlineCount: (handshakes: Int, frames: Int) { engine.storedDeadlineCount }

    /// The abstract address, as `ss -xl` shows it: `@\minifilterport_example`.
    public var address: String { configuration.name.address }

    /// Stops accepting connections; connected clients live on. Mirrors `FltCloseCommunicationPort`.
    public func closeListener() {
        engine.closeListener()
    }

    /// Every client port currently connected (their connect routine accepted them).
    public var clients: [ClientPort] {
        engine.connections.compactMap { $0.connectedClient as? ClientPort }
    }

    /// Stops accepting, disconnects every client (DISCONNECT with `STATUS_PORT_DISCONNECTED`), waits for their
    /// disconnect routines and stops the port's threads. Call once, not from a routine.
    /// - Parameter timeout: how long to wait for the disconnect routines; nil waits for ever.
    /// - Returns: false when routines were still running at the timeout (the threads are left running then).
    @discardableResult
    public func shutdown(timeout: Duration? = nil) -> Bool {
        engine.closeListener()
        for connection in engine.connections {
            connection.requestClose(sending: .portDisconnected, reason: "the port is shutting down")
        }
        let deadline = timeout.map { MonotonicClock.now + $0.nanoseconds }
        guard engine.waitForNoConnections(until: deadline) else { return false }
        engine.stop()
        if let socketFile { SocketFile.remove(socketFile.path, inode: socketFile.inode) }
        engine.logger.event(.info, .stopped, "port \(configuration.name) stopped")
        return true
    }

    /// Mode of a port's socket file: anyone may connect, and the permission descriptor decides, exactly as
    /// for an abstract address (where file modes do not exist). A narrower mode cannot express a descriptor
    /// that admits several users and groups; an admin who wants the file itself guarded puts it in a
    /// directory whose mode admits only the principals the descriptor admits.
    public static let socketFileMode: UInt32 = 0o666

    /// The listening descriptor, and the socket file's inode when this port made one.
    private static func listeningDescriptor(
        for configuration: ServerPortConfiguration
    ) throws(ServerPortError) -> (
        Int32, UInt64?
    ) {
        let name = configuration.name
        switch configuration.listener {
        case .bind:
            if let path = name.socketPath { return try listenOnSocketFile(path, name: name) }
            do {
                return (try AbstractSocket.listen(at: name.addressBytes, backlog: 256), nil)
            } catch {
                if error.errno == EADDRINUSE {
                    throw ServerPortError(
                        status: .objectNameCollision,
                        message:
                            "cannot create port \(name): another process already listens on \(name.address); stop it (ss -xlp | grep -F '\(name.address)' shows which) or choose another port name"
                    )
                }
                throw ServerPortError(
                    status: .insufficientResources,
                    message: "cannot listen on \(name.address) for port \(name)",
                    underlyingError: "\(error)"
                )
            }
        case .inherited(let descriptor):
            let bound: [UInt8]?
            do {
                bound = try AbstractSocket.boundName(of: descriptor)
            } catch {
                throw ServerPortError(
                    status: .invalidParameter,
                    message: "the inherited descriptor \(descriptor) is not a usable socket",
                    underlyingError: "\(error)"
                )
            }
            guard bound == name.addressBytes else {
                let actual = bound.map { "@" + String(decoding: $0, as: UTF8.self) } ?? "not an abstract address"
                throw ServerPortError(
                    status: .invalidParameter,
                    message:
                        "the inherited socket listens on \(actual), but port \(name) maps to \(name.address); make ListenStream= match the port name"
                )
            }
            // Failures are ignored, as they always were: the socket then stays as its maker left it.
            try? DescriptorCalls.makeNonBlockingAndCloseOnExec(descriptor)
            return (descriptor, nil)
        }
    }

    private static func listenOnSocketFile(_ path: String, name: PortName) throws(ServerPortError) -> (Int32, UInt64?) {
        let failure: SocketFile.ListenError
        do {
            let (fd, inode) = try SocketFile.listen(at: path, mode: socketFileMode, backlog: 256)
            return (fd, inode)
        } catch {
            failure = error
        }
        switch failure {
        case .inUse:
            throw ServerPortError(
                status: .objectNameCollision,
                message:
                    "cannot create port \(name): another process already listens on \(path); stop it (ss -xlp | grep -F '\(path)' shows which) or choose another path"
            )
        case .notASocket:
            throw ServerPortError(
                status: .objectNameCollision,
                message: "cannot create port \(name): \(path) exists and is not a socket; it was left alone"
            )
        case .system(let error):
            throw ServerPortError(
                status: .insufficientResources,
                message:
                    "cannot listen on the socket file \(path) for port \(name) (does its directory exist, and may minifltd write there?)",
                underlyingError: "\(error)"
            )
        }
    }
}

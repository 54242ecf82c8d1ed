// SPDX-License-Identifier: MIT
import Logging
import MiniFltLogging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The seed example's second half on Linux: each open of a watched file is sent to the connected client as
/// FLT_TO_USER (the path, a 4096-byte wide string in the client's wchar size, as docs/protocol.md section 8
/// lays out: lossless for any bytes, marked when too long) with a reply capacity of 4 (FLT_TO_USER_REPLY: a
/// u32 `block`). A reply with block != 0 fails the open with EPERM; anything else
/// (no client, a timeout, an error) lets it proceed, and says so in the log.
///
/// Opens by minifltd itself and by the connected client's process are never sent: the client may open files
/// while it decides, and waiting on itself would deadlock (the scanner sample's rule).
///
/// Every open is answered before anything about it is logged, and logging only queues (``LogQueue``): a
/// watched file's opener may be journald itself. Blocks are logged at info, opens allowed without a verdict
/// at warning (timeouts, errors) or once per stretch without a client (notice), and the rest at debug; the
/// activity summary counts them all.
final class OpenVerdicts: Sendable {
    /// sizeof(FLT_TO_USER) and sizeof(FLT_TO_USER_REPLY) in the seed.
    static let messageSize = 4096
    static let replySize = 4
    /// How long the reader waits before reading again after a transient failure (no descriptor free, no
    /// memory): the kernel denies the one open it could not hand over, and the rest wait in its queue.
    static let retryDelay: Duration = .milliseconds(100)

    private let monitor: FileOpenMonitor
    private let clients: ClientRegistry
    private let timeout: Duration
    private let logger: Logger
    private let counters: ActivityCounters
    /// Whether the last open found no client, so that a stretch without one is logged once.
    private let unwatched = Atomic<Bool>(false)

    init(
        monitor: FileOpenMonitor,
        clients: ClientRegistry,
        timeout: Duration,
        counters: ActivityCounters,
        logger: Logger
    ) {
        self.monitor = monitor
        self.clients = clients
        self.timeout = timeout
        self.counters = counters
        self.logger = logger
    }

    /// Answers opens on a thread of its own, for the life of the process.
    func start() {
        _ = PosixThread(name: "minifltd-watch") { [self] in
            var failing: SystemError?
            while true {
                let events: [FileOpenMonitor.Event]
                do throws(SystemError) {
                    events = try monitor.next()
                } catch  where OpenVerdicts.isTransient(error.errno) {
                    if failing == nil {
                        logger.error(
                            "reading fanotify events failed: \(error); retrying every \(OpenVerdicts.retryDelay) (the kernel denies the open it could not hand over)"
                        )
                    }
                    failing = error
                    PosixThread.sleep(for: OpenVerdicts.retryDelay)
                    continue
                } catch {
                    monitor.close()
                    logger.critical(
                        "reading fanotify events failed: \(error); closed the fanotify group, so opens of watched files proceed unchecked until minifltd restarts"
                    )
                    return
                }
                if let error = failing {
                    failing = nil
                    logger.notice("reading fanotify events again after \(error.call) failed")
                }
                for event in events { decide(event) }
            }
        }
    }

    /// Errors after which a later read can succeed.
    static func isTransient(_ errno: Int32) -> Bool {
        errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS || errno == EAGAIN
    }

    private func decide(_ event: FileOpenMonitor.Event) {
        guard event.pid != getpid() else { return monitor.answer(event, allow: true) }
        guard let client = clients.current else {
            let path = monitor.pathBytes(of: event)
            monitor.answer(event, allow: true)
            counters.opensUndecided.add(1, ordering: .relaxed)
            if !unwatched.exchange(true, ordering: .relaxed) {
                counters.opensLogged.add(1, ordering: .relaxed)
                logger.notice(
                    "\(OpenVerdicts.printable(path)) opened by pid \(event.pid): no client connected; this open and the next ones proceed unchecked until a client connects"
                )
            } else {
                logger.debug(
                    "\(OpenVerdicts.printable(path)) opened by pid \(event.pid): no client connected; allowing it"
                )
            }
            return
        }
        unwatched.store(false, ordering: .relaxed)
        guard event.pid != client.peer.pid else { return monitor.answer(event, allow: true) }
        let pathBytes = monitor.pathBytes(of: event)
        let (message, shortened) = WidePath.encodeTerminated(
            pathBytes ?? Array("(unknown file)".utf8),
            as: client.wcharSize,
            length: OpenVerdicts.messageSize
        )
        let result = client.send(message, replyCapacity: OpenVerdicts.replySize, timeout: timeout)
        switch result {
        case .replied(.success, let reply) where reply.count == OpenVerdicts.replySize:
            let block = reply.withUnsafeBytes { $0.readLittleEndian(at: 0, as: UInt32.self) } != 0
            monitor.answer(event, allow: !block)
            if block {
                counters.opensBlocked.add(1, ordering: .relaxed)
                counters.opensLogged.add(1, ordering: .relaxed)
                logger.info("\(OpenVerdicts.printable(pathBytes)) opened by pid \(event.pid): blocked by the client")
            } else {
                counters.opensAllowed.add(1, ordering: .relaxed)
                logger.debug("\(OpenVerdicts.printable(pathBytes)) opened by pid \(event.pid): allowed by the client")
            }
        case .timedOut:
            monitor.answer(event, allow: true)
            counters.opensUndecided.add(1, ordering: .relaxed)
            counters.opensLogged.add(1, ordering: .relaxed)
            logger.warning(
                "\(OpenVerdicts.printable(pathBytes)) opened by pid \(event.pid): no verdict within \(timeout); allowing it"
            )
        default:
            monitor.answer(event, allow: true)
            counters.opensUndecided.add(1, ordering: .relaxed)
            counters.opensLogged.add(1, ordering: .relaxed)
            logger.warning(
                "\(OpenVerdicts.printable(pathBytes)) opened by pid \(event.pid): no usable verdict (\(result)); allowing it"
            )
        }
        // After the answer, as every line here.
        if shortened {
            logger.notice(
                "\(OpenVerdicts.printable(pathBytes)) opened by pid \(event.pid): the path does not fit FLT_TO_USER; the client got \u{2026} and the path's end"
            )
        }
    }

    /// A path for the log: its bytes as they are, invalid UTF-8 and control characters escaped.
    private static func printable(_ path: [UInt8]?) -> String {
        path.map { LogEscaping.escape(codePoints: WidePath.codePoints($0)) } ?? "(unknown file)"
    }
}

/// The clients the example filter's connect routine accepted, for the open watcher.
final class ClientRegistry: Sendable {
    private let ports = StateLock<[ClientPort]>([])

    func add(_ port: ClientPort) { ports.withLock { $0.append(port) } }
    func remove(_ port: ClientPort) { ports.withLock { $0.removeAll { $0 === port } } }
    /// The client that gets verdict requests: the first one connected.
    var current: ClientPort? { ports.withLock { $0.first } }
}

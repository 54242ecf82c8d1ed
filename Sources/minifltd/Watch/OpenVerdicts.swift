import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The seed example's second half on Linux: each open of a watched file is sent to the connected client as
/// FLT_TO_USER (the full path, a 4096-byte wide string in the client's wchar size) with a reply capacity of
/// 4 (FLT_TO_USER_REPLY: a u32 `block`). A reply with block != 0 fails the open with EPERM; anything else
/// (no client, a timeout, an error) lets it proceed, and says so in the log.
///
/// Opens by minifltd itself and by the connected client's process are never sent: the client may open files
/// while it decides, and waiting on itself would deadlock (the scanner sample's rule).
final class OpenVerdicts: Sendable {
    /// sizeof(FLT_TO_USER) and sizeof(FLT_TO_USER_REPLY) in the seed.
    static let messageSize = 4096
    static let replySize = 4

    private let monitor: FileOpenMonitor
    private let clients: ClientRegistry
    private let timeout: Duration
    private let logger: Logger

    init(monitor: FileOpenMonitor, clients: ClientRegistry, timeout: Duration, logger: Logger) {
        self.monitor = monitor
        self.clients = clients
        self.timeout = timeout
        self.logger = logger
    }

    /// Answers opens on a thread of its own, for the life of the process.
    func start() {
        _ = PosixThread(name: "minifltd-watch") { [self] in
            while true {
                let events: [FileOpenMonitor.Event]
                do {
                    events = try monitor.next()
                } catch {
                    logger.critical("reading fanotify events failed: \(error); opens of watched files are no longer checked")
                    return
                }
                for event in events { decide(event) }
            }
        }
    }

    private func decide(_ event: FileOpenMonitor.Event) {
        guard event.pid != getpid() else { return monitor.answer(event, allow: true) }
        guard let client = clients.current else {
            logger.info("\(monitor.path(of: event)) opened by pid \(event.pid): no client connected; allowing it")
            return monitor.answer(event, allow: true)
        }
        guard event.pid != client.peer.pid else { return monitor.answer(event, allow: true) }
        let path = monitor.path(of: event)
        let message = WideString.encodeTerminated(path, as: client.wcharSize, length: OpenVerdicts.messageSize)
        let result = client.send(message, replyCapacity: OpenVerdicts.replySize, timeout: timeout)
        switch result {
        case .replied(.success, let reply) where reply.count == OpenVerdicts.replySize:
            let block = reply.withUnsafeBytes { $0.readLittleEndian(at: 0, as: UInt32.self) } != 0
            logger.info("\(path) opened by pid \(event.pid): \(block ? "blocked" : "allowed") by the client")
            monitor.answer(event, allow: !block)
        case .timedOut:
            logger.warning("\(path) opened by pid \(event.pid): no verdict within \(timeout); allowing it")
            monitor.answer(event, allow: true)
        default:
            logger.warning("\(path) opened by pid \(event.pid): no usable verdict (\(result)); allowing it")
            monitor.answer(event, allow: true)
        }
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

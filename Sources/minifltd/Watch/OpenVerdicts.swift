// SPDX-License-Identifier: MIT
import Logging
import MiniFltFilter
import MiniFltLogging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltWire
import Synchronization

/// The seed example's second half, on the MiniFltFilter library: each open of a watched file is sent to a
/// connected client as FLT_TO_USER (the path, a 4096-byte wide string in the client's wchar size, as
/// docs/protocol.md section 8 lays out: lossless for any bytes, marked when too long) with a reply capacity
/// of 4 (FLT_TO_USER_REPLY: a u32 `block`). A reply with block != 0 fails the open with EPERM; anything else
/// (no client, a timeout, an error) lets it proceed, and says so in the log.
///
/// Simultaneous opens go out at once, without a thread each: the port's I/O thread reads the fanotify group
/// (``serve(on:)``), sends each open with `ClientPort.sendAcceptingReply` to the client that
/// ``ClientRegistry`` picks, and the completion, on the same thread, answers the open. One thread for
/// both halves, because the thread that asked is then already runnable when the answer comes: a reader thread
/// beside the loop cost each open two more thread switches on a busy CPU. The filter's in-flight bound
/// (`--max-opens-in-flight`) is the only bound. Opens by minifltd and by connected
/// clients' processes are never sent (the library's exemptions): a client may open files while it decides.
/// A client that connects or leaves flushes the decision cache, since what decides has changed.
///
/// With `--pass-descriptors`, a client that connected with `FLT_PORT_FLAG_DESCRIPTORS` also gets a duplicate of
/// the opened file's descriptor with each FLT_TO_USER (docs/protocol.md section 12): it reads the very file
/// the open names, raising no new event, and a rename cannot race it. The duplicate is the client's once the
/// kernel passed it; the library closes ours.
///
/// Every open is answered before anything about it is logged, and logging only queues (``LogQueue``): a
/// watched file's opener may be journald itself. Blocks are logged at info, opens allowed without a verdict
/// at warning (timeouts, errors) or once per stretch without a client (notice), the rest at debug; the
/// activity summary counts them all.
final class OpenVerdicts: Sendable {
    /// sizeof(FLT_TO_USER) and sizeof(FLT_TO_USER_REPLY) in the seed.
    static let messageSize = 4096
    static let replySize = 4

    let filter: MiniFilter
    private let clients: ClientRegistry
    /// The registration's callback exists before `self` does: it finds `self` here from ``start()`` to
    /// ``stop()``. A class, not a closure, in the lock: with a closure there, perf showed the reader thread
    /// spending 40% of its time in nested reabstraction thunks of `(FileEvent) -> Void`.
    private let decider: Decider
    private final class Decider: Sendable {
        let verdicts = StateLock<OpenVerdicts?>(nil)
    }
    private let timeout: Duration
    private let passDescriptors: Bool
    private let logger: Logger
    private let counters: ActivityCounters
    /// Whether the last open found no client, so that a stretch without one is logged once.
    private let unwatched = Atomic<Bool>(false)
    /// The port whose I/O thread reads the group, from ``serve(on:)`` to ``stop()``.
    private let served = StateLock<(port: ServerPort, descriptor: ServedDescriptor)?>(nil)

    /// Creates the filter (its fanotify group); nothing is watched until ``start()``.
    init(
        targets: [WatchTarget],
        clients: ClientRegistry,
        timeout: Duration,
        maxInFlight: Int,
        fullVerdict: FilterVerdict = .allow,
        cache: Bool,
        passDescriptors: Bool,
        counters: ActivityCounters,
        logger: Logger
    ) throws(FilterError) {
        let decider = Decider()
        var registration = FilterRegistration(operations: [.open], targets: targets) { event in
            decider.verdicts.withLock { $0 }?.decide(event)
        }
        registration.deadline = timeout
        registration.maxInFlight = maxInFlight
        registration.fullVerdict = fullVerdict
        registration.cacheAllowed = cache
        registration.answered = { event, verdict, reason in
            OpenVerdicts.logLibraryAnswer(event, verdict, reason, timeout: timeout, counters: counters, logger: logger)
        }
        let filter = try MiniFilter(registration)
        counters.filter.withLock { $0 = filter.statistics }
        self.filter = filter
        self.decider = decider
        self.clients = clients
        self.timeout = timeout
        self.passDescriptors = passDescriptors
        self.counters = counters
        self.logger = logger
    }

    /// Marks the targets; opens wait (unread) until ``serve(on:)``.
    func start() throws(FilterError) {
        decider.verdicts.withLock { $0 = self }
        clients.observe { [filter] port, connected in
            if connected {
                filter.exempt(processID: port.peer.pid)
            } else {
                filter.removeExemption(processID: port.peer.pid)
            }
            filter.flushCache()
        }
        try filter.startWithoutReader()
    }

    /// Reads and answers opens on `port`'s I/O thread from now on.
    func serve(on port: ServerPort) throws(ServerPortError) {
        let descriptor = try port.serve(filter.eventDescriptor) { [filter] in filter.readAvailableEvents() }
        served.withLock { $0 = (port, descriptor) }
    }

    /// The watcher's part of the status line.
    var statusLine: String {
        let numbers = filter.statistics.snapshot
        return "watched opens asked \(numbers.asked), timed out \(numbers.timeouts), past the bound \(numbers.full); "
            + "cache \(filter.cachedFiles) files, \(numbers.cacheFlushes) flushes; fanotify read errors \(numbers.readErrors)"
            + (filter.treeDirectories > 0
                ? "; tree directories \(filter.treeDirectories), inotify queue overflows \(numbers.treeOverflows)" : "")
    }

    /// Closes the group (every open still waiting proceeds) and stops the library's threads.
    func stop() {
        if let (port, descriptor) = served.withLock({ $0 }) { port.stopServing(descriptor) }
        filter.stop()
        decider.verdicts.withLock { $0 = nil }
    }

    fileprivate func decide(_ event: FileEvent) {
        guard let client = clients.checkOut() else {
            filter.reply(to: event, .allow)
            counters.opensUndecided.add(1, ordering: .relaxed)
            if !unwatched.exchange(true, ordering: .relaxed) {
                counters.opensLogged.add(1, ordering: .relaxed)
                logger.notice(
                    "\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): no client connected; this open and the next ones proceed unchecked until a client connects"
                )
            } else {
                logger.debug(
                    "\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): no client connected; allowing it"
                )
            }
            return
        }
        unwatched.store(false, ordering: .relaxed)
        let (message, shortened) = WidePath.encodeTerminated(
            event.path,
            as: client.wcharSize,
            length: OpenVerdicts.messageSize
        )
        // The event's own deadline, not a fresh timeout: the port's timer comes no earlier than the library's
        // deadline (the time left is read before the send), so the library answers a silent client's open,
        // and the port forgets the message right after. A REPLY the port takes once the library answered is
        // refused with 0xC01C0020 (sendAcceptingReply: the completion runs before REPLY_RESULT is written), so a
        // client told success had its verdict applied (docs/protocol.md section 8, "the verdict timeout").
        let attached =
            passDescriptors && client.acceptsDescriptors ? PassedDescriptors.duplicating([event.descriptor]) : nil
        client.sendAcceptingReply(
            message,
            descriptors: attached,
            replyCapacity: OpenVerdicts.replySize,
            timeout: event.timeRemaining,
            accept: { [self] result, _ in
                clients.checkIn(client)
                return answer(event, result, shortened: shortened)
            }
        )
    }

    /// Answers `event` with the client's outcome, on the port's I/O thread (which also sent it), so nothing
    /// here blocks. False when the open was already answered (by its
    /// deadline, or the shutdown): the client's REPLY then gets 0xC01C0020.
    private func answer(_ event: FileEvent, _ result: FilterMessageResult, shortened: Bool) -> Bool {
        switch result {
        case .replied(.success, let reply) where reply.count == OpenVerdicts.replySize:
            let block = reply.withUnsafeBytes { $0.readLittleEndian(at: 0, as: UInt32.self) } != 0
            guard filter.reply(to: event, block ? .deny : .allow) else {
                // The deadline answered first; the library logged it.
                logger.debug(
                    "\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): the client's verdict came after the deadline; refused"
                )
                return false
            }
            if block {
                counters.opensBlocked.add(1, ordering: .relaxed)
                counters.opensLogged.add(1, ordering: .relaxed)
                logger.info("\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): blocked by the client")
            } else {
                counters.opensAllowed.add(1, ordering: .relaxed)
                logger.debug("\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): allowed by the client")
            }
        case .timedOut:
            // Allowed but not cached: the client never decided, so the file's next open asks it again.
            guard filter.reply(to: event, .allow, remember: false) else { return false }
            counters.opensUndecided.add(1, ordering: .relaxed)
            counters.opensLogged.add(1, ordering: .relaxed)
            logger.warning(
                "\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): no verdict within \(timeout); allowing it"
            )
        default:
            guard filter.reply(to: event, .allow, remember: false) else { return false }
            counters.opensUndecided.add(1, ordering: .relaxed)
            counters.opensLogged.add(1, ordering: .relaxed)
            logger.warning(
                "\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): no usable verdict (\(result)); allowing it"
            )
        }
        // After the answer, as every line here.
        if shortened {
            logger.notice(
                "\(OpenVerdicts.printable(event.path)) opened by pid \(event.pid): the path does not fit FLT_TO_USER; the client got \u{2026} and the path's end"
            )
        }
        return true
    }

    /// What the library answered without the client (after the kernel has the answer).
    private static func logLibraryAnswer(
        _ event: FileEvent,
        _ verdict: FilterVerdict,
        _ reason: FilterAnswerReason,
        timeout: Duration,
        counters: ActivityCounters,
        logger: Logger
    ) {
        counters.opensUndecided.add(1, ordering: .relaxed)
        switch reason {
        case .timedOut:
            counters.opensLogged.add(1, ordering: .relaxed)
            logger.warning(
                "\(printable(event.path)) opened by pid \(event.pid): no verdict within \(timeout); allowing it"
            )
        case .full:
            // A flood: the summary counts these; one line each would be the flood in the journal.
            logger.debug(
                "\(printable(event.path)) opened by pid \(event.pid): \(reason); \(verdict == .allow ? "allowed" : "denied") without asking"
            )
        case .filter, .stopping:
            break
        }
    }

    /// A path for the log: its bytes as they are, invalid UTF-8 and control characters escaped.
    static func printable(_ path: [UInt8]) -> String {
        LogEscaping.escape(codePoints: WidePath.codePoints(path))
    }
}

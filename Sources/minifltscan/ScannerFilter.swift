// SPDX-License-Identifier: MIT
import Logging
import MiniFltFilter
import MiniFltLogging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Microsoft's scanner minifilter, on MiniFltFilter (docs/protocol.md section 8, "The scanner"). Each open of a watched file
/// whose extension is scanned sends the file's first 1,024 bytes to the connected client as
/// SCANNER_NOTIFICATION and waits for SCANNER_REPLY; SafeToOpen == 0 fails the open with EPERM. A file
/// closed after a write (FAN_CLOSE_WRITE, where the sample rescans at cleanup) is scanned again, and when
/// that finds it unsafe its next opens are denied (``UnsafeFiles``).
///
/// With `passDescriptors`, a client that connected with `FLT_PORT_FLAG_DESCRIPTORS` gets no copy: the
/// notification is its 8-byte header with BytesToScan 0, and a duplicate of the event's descriptor comes
/// with it, through which the client reads what it wants (docs/protocol.md section 8, "The scanner"). A
/// client without the flag gets exactly the sample's notification.
///
/// As in the sample, everything else lets the open proceed: no client connected, an empty or unreadable
/// file, a failed send, a reply that is not one byte, no reply within the deadline. The client's own
/// opens are not scanned (the sample's trusted process). The client's sends and the library's answers
/// need no thread each: the library's reader sends, and the port's I/O thread answers from the completion.
final class ScannerFilter: Sendable {
    let filter: MiniFilter
    private let extensions: ScannedExtensions
    private let unsafeFiles = UnsafeFiles()
    /// The one client (the port admits one connection, as the sample's).
    private let client = StateLock<ClientPort?>(nil)
    private let rescanTimeout: Duration
    private let passDescriptors: Bool
    private let logger: Logger
    private let binding: Binding

    /// The registration's callbacks exist before `self` does; they find it here from ``start()`` on.
    private final class Binding: Sendable {
        let scanner = StateLock<ScannerFilter?>(nil)
    }

    init(
        targets: [WatchTarget],
        extensions: ScannedExtensions,
        timeout: Duration,
        maxInFlight: Int,
        verdictCache: Bool,
        passDescriptors: Bool,
        logger: Logger
    ) throws(FilterError) {
        let binding = Binding()
        var registration = FilterRegistration(operations: [.open, .closeWrite], targets: targets) { event in
            binding.scanner.withLock { $0 }?.opened(event)
        }
        registration.postOperation = { event in binding.scanner.withLock { $0 }?.closedAfterWrite(event) }
        registration.deadline = timeout
        registration.maxInFlight = maxInFlight
        registration.cacheAllowed = verdictCache
        registration.answered = { event, verdict, reason in
            guard reason == .timedOut || reason == .full else { return }
            logger.warning(
                "\(event.pathString) opened by pid \(event.pid): \(reason); \(verdict == .allow ? "allowed" : "denied") without a scan"
            )
        }
        filter = try MiniFilter(registration)
        self.extensions = extensions
        self.rescanTimeout = timeout
        self.passDescriptors = passDescriptors
        self.logger = logger
        self.binding = binding
    }

    func start() throws(FilterError) {
        binding.scanner.withLock { $0 = self }
        try filter.start()
    }

    /// Closes the fanotify group first: every open still waiting proceeds.
    func stop() {
        filter.stop()
        binding.scanner.withLock { $0 = nil }
    }

    /// The pid of the client that scans, nil when none is connected.
    var clientPID: Int32? { client.withLock { $0?.peer.pid } }

    /// The connect routine's part: this client scans from now on, and its own opens are not scanned.
    func connected(_ port: ClientPort) {
        client.withLock { $0 = port }
        filter.exempt(processID: port.peer.pid)
        // Files allowed while nobody scanned them are scanned now.
        filter.flushCache()
    }

    func disconnected(_ port: ClientPort) {
        client.withLock { if $0 === port { $0 = nil } }
        filter.removeExemption(processID: port.peer.pid)
        filter.flushCache()
    }

    /// A permission event for an open: on the library's reader thread, so nothing here waits. A reader thread of
    /// its own, not the port's loop as minifltd's watcher: reading a file's first bytes can wait for a disk,
    /// and the port's clients must not wait with it.
    private func opened(_ event: FileEvent) {
        guard extensions.matches(event.path) else {
            answer(event, .allow)
            return
        }
        if let (file, changed) = UnsafeFiles.identify(event.descriptor), unsafeFiles.contains(file, changed: changed) {
            answer(event, .deny)
            return logger.info(
                "\(event.pathString) opened by pid \(event.pid): denied (found unsafe when it was last written)"
            )
        }
        guard let port = client.withLock({ $0 }) else {
            answer(event, .allow)
            return
        }
        guard let (message, descriptors) = scanRequest(for: event.descriptor, to: port) else {
            answer(event, .allow)
            return
        }
        // As minifltd's open watcher: the port's timer comes no earlier than the library's deadline, and a
        // reply taken once the library answered is refused with 0xC01C0020 (docs/protocol.md section 8).
        port.sendAcceptingReply(
            message,
            descriptors: descriptors,
            replyCapacity: ScannerMessages.replySize,
            timeout: event.timeRemaining,
            accept: { [self] result, _ in
                let safe = ScannerFilter.safeToOpen(result)
                // Only a scan that found the file safe is cached; an open allowed without one is scanned next time.
                guard filter.reply(to: event, safe == false ? .deny : .allow, remember: safe == true) else {
                    return false
                }
                if safe == false {
                    logger.info("\(event.pathString) opened by pid \(event.pid): denied by the scan")
                } else if safe == nil {
                    logger.warning("\(event.pathString) opened by pid \(event.pid): no verdict (\(result)); allowed")
                } else {
                    logger.debug("\(event.pathString) opened by pid \(event.pid): allowed by the scan")
                }
                return true
            }
        )
    }

    /// A close after a write: the file is scanned again, and remembered if unsafe.
    private func closedAfterWrite(_ event: FileEvent) {
        guard extensions.matches(event.path), let (file, changed) = UnsafeFiles.identify(event.descriptor) else {
            return
        }
        guard let port = client.withLock({ $0 }),
            let (message, descriptors) = scanRequest(for: event.descriptor, to: port)
        else {
            // Nothing to scan, or nobody to scan it: the file is not known to be unsafe any more.
            return unsafeFiles.record(file, changed: changed, unsafe: false)
        }
        port.send(
            message,
            descriptors: descriptors,
            replyCapacity: ScannerMessages.replySize,
            timeout: rescanTimeout
        ) { [self] result, _ in
            let unsafe = ScannerFilter.safeToOpen(result) == false
            unsafeFiles.record(file, changed: changed, unsafe: unsafe)
            if unsafe {
                logger.info(
                    "\(event.pathString) written by pid \(event.pid): found unsafe on close; its next opens are denied"
                )
            }
        }
    }

    /// SafeToOpen from the client's outcome; nil when there is no usable verdict.
    private static func safeToOpen(_ result: FilterMessageResult) -> Bool? {
        guard case .replied(.success, let reply) = result else { return nil }
        return ScannerMessages.safeToOpen(reply)
    }

    private func answer(_ event: FileEvent, _ verdict: FilterVerdict) { _ = filter.reply(to: event, verdict) }

    /// What to send `port` for the file open at `descriptor`; nil when there is nothing to scan (an empty file,
    /// or one that cannot be read). An opted-in client gets the descriptor and no copy; when it cannot be
    /// duplicated (EMFILE), it gets the copy instead, which every client can read.
    private func scanRequest(for descriptor: Int32, to port: ClientPort) -> ([UInt8], PassedDescriptors?)? {
        if passDescriptors, port.acceptsDescriptors {
            var status = stat()
            guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return nil }
            if let attached = PassedDescriptors.duplicating([descriptor]) {
                return (ScannerMessages.descriptorNotification, attached)
            }
        }
        guard let contents = ScannerFilter.beginning(of: descriptor), !contents.isEmpty else { return nil }
        return (ScannerMessages.notification(contents[...]), nil)
    }

    /// Up to the first 1,024 bytes of the file (the event's descriptor, whose reads raise no events); nil
    /// when it cannot be read.
    private static func beginning(of descriptor: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: ScannerMessages.contentsSize)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return pread(descriptor, base + filled, bytes.count - filled, off_t(filled))
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return filled > 0 ? Array(buffer[..<filled]) : nil }
            if count == 0 { break }
            filled += count
        }
        return Array(buffer[..<filled])
    }

    var statusLine: String {
        let numbers = filter.statistics.snapshot
        return "opens asked \(numbers.asked), timed out \(numbers.timeouts), past the bound \(numbers.full); "
            + "\(unsafeFiles.count) files known unsafe; cache \(filter.cachedFiles) files"
            + (filter.treeDirectories > 0
                ? "; tree directories \(filter.treeDirectories), inotify queue overflows \(numbers.treeOverflows)" : "")
    }
}

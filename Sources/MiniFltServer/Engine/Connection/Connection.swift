// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One accepted client: its socket, its place in the life cycle of docs/protocol.md section 10, and its output queue.
///
/// # Thread safety
/// - The read registration is edge-triggered, so a message costs no `epoll_ctl`. While the standby thread
///   serves too, two threads can get events for one connection: `processing` lets one of them in (the
///   holder) and makes the other ask it to look again. `decoder` is touched only by the holder.
/// - Everything else that changes lives in `state`, under its lock. The descriptor is closed by the holder
///   with that lock held, so a routine thread that writes under the lock never writes to a reused descriptor.
/// - To make the holder look at the connection, other threads leave a close request and
///   `shutdown(SHUT_RD)` the socket, which raises a read event.
final class Connection: @unchecked Sendable {
    enum Phase {
        /// Accepted; waiting for CONNECT.
        case handshaking
        /// The connect routine is queued or running.
        case connecting
        /// The connect routine accepted the connection.
        case connected
        /// The connect was refused (by the routine or for a bad CONNECT); no disconnect routine follows.
        case refused
    }

    struct CloseRequest {
        /// The status sent in DISCONNECT; nil closes without one (the peer cannot read it anyway).
        var status: NTStatus?
        var reason: String
    }

    struct State {
        var phase = Phase.handshaking
        var descriptorOpen = true
        var closeRequest: CloseRequest?
        /// Bytes written by routines and not yet taken by the socket.
        var output: [UInt8] = []
        /// A duplicate of the descriptor registered for EPOLLOUT while `output` is not empty.
        var writeDescriptor: Int32?
        var outstandingSends: Set<UInt64> = []
        /// SENDs that arrived while the connect routine ran; queued once it accepts.
        var deferredSends: [RoutineRunner.WorkItem] = []
        var routinesInFlight = 0
        var disconnectPending = false
        var disconnectStarted = false
        var cookie: CookieBox?
        var client: ClientPort?
        /// Limits already logged for this connection (each limit is logged once per connection).
        var limitsLogged: Set<String> = []
        /// The id of the next MESSAGE (FltSendMessage) to this client.
        var nextMessageID: UInt64 = 1
        /// Senders waiting for the client's REPLY, by message id.
        var waiters: [UInt64: MessageWaiter] = [:]
    }

    let id: UInt64
    let fd: Int32
    let peer: PeerIdentity
    let engine: PortEngine
    let state = StateLock(State())
    private var decoder: FrameDecoder
    /// 0: nobody handles the connection; 1: a holder does; 2: a holder does and must look again.
    private let processing = Atomic<Int>(0)
    /// An event said the peer hung up (or the socket failed): read on past short reads until the end of
    /// the stream, because data and hang-up can come in one edge and no further edge would follow.
    private let hungUp = Atomic<Bool>(false)
    /// When the partial frame the decoder holds began (monotonic ns); 0 while it holds none. Written by the
    /// holder, read by the engine's timer, which disconnects the client once a partial frame has waited for
    /// the frame timeout.
    private let partialSince = Atomic<Int64>(0)
    /// Whether the engine holds this connection's frame deadline: at most one at a time, so a client whose
    /// reads keep ending mid-frame costs one deadline per timeout, not one per read.
    private let frameDeadlineQueued = Atomic<Bool>(false)
    /// Whether a read or write of ``PortEngine/largeBufferBytes`` or more happened: the memory such buffers
    /// take is freed only when the connection goes, and the engine must look again at freed memory then.
    let movedLargeBuffers = Atomic<Bool>(false)

    init(id: UInt64, fd: Int32, peer: PeerIdentity, engine: PortEngine) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.engine = engine
        self.decoder = FrameDecoder(role: .server, maximumBodyLength: engine.configuration.maxMessageSize)
    }

    /// Logs an event of this connection, with the client's identity.
    func log(
        _ level: Logger.Level,
        _ event: PortEvent,
        _ message: @autoclosure () -> String,
        status: NTStatus? = nil,
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        engine.logger.event(
            level,
            event,
            message(),
            peer: peer,
            status: status,
            file: file,
            function: function,
            line: line
        )
    }

    // MARK: - The holder's side: reading and closing

    /// Handles a read event: reads and decodes, or asks the thread already doing so to look again.
    /// - Parameter hangUp: the event reported EPOLLRDHUP, EPOLLHUP or EPOLLERR.
    func handleReadable(hangUp: Bool, scratch: UnsafeMutableRawBufferPointer) {
        if hangUp { hungUp.store(true, ordering: .sequentiallyConsistent) }
        var current = 0
        while !processing.compareExchange(
            expected: current,
            desired: current == 0 ? 1 : 2,
            ordering: .acquiringAndReleasing
        ).exchanged {
            current = processing.load(ordering: .acquiring)
            if current == 2 { return }
        }
        if current != 0 { return }  // the holder will look again
        repeat {
            processing.store(1, ordering: .releasing)
            if readAvailable(scratch: scratch) { processing.store(2, ordering: .releasing) }
        } while !processing.compareExchange(expected: 1, desired: 0, ordering: .acquiringAndReleasing).exchanged
    }

    /// Reads what the socket holds, up to four reads; true when the budget ran out with data possibly left,
    /// which an edge-triggered registration would not report again.
    private func readAvailable(scratch: UnsafeMutableRawBufferPointer) -> Bool {
        let (open, request) = state.withLock { ($0.descriptorOpen, $0.closeRequest) }
        guard open else { return false }
        if let request { return finish(request) }
        for _ in 0..<4 {
            let count: Int?
            do {
                count = try AbstractSocket.receive(fd, into: scratch)
            } catch {
                return finish(CloseRequest(status: nil, reason: "the client's socket failed: \(error)"))
            }
            guard let count else { return closeIfRequested() }
            if count == 0 { return finish(CloseRequest(status: nil, reason: "the client closed the connection")) }
            if count >= PortEngine.largeBufferBytes { noteLargeBuffer() }
            var closing: CloseRequest?
            var decoded = false
            do {
                try decoder.decode(UnsafeRawBufferPointer(rebasing: scratch[0..<count])) { frame in
                    decoded = true
                    closing = handle(frame)
                    return closing == nil
                }
            } catch {
                return finish(violationRequest(error))
            }
            if let closing { return finish(closing) }
            trackPartialFrame(afterDecoding: decoded)
            // A short read emptied the socket: a later arrival raises a new edge. A hang-up raises none after
            // the edge that brought it, so then read on to the end of the stream.
            if count < scratch.count, !hungUp.load(ordering: .sequentiallyConsistent) {
                return closeIfRequested()
            }
        }
        return true
    }

    /// The time the frame timeout counts from: a partial frame left after a read starts the clock, unless the
    /// same partial frame was already waiting (no whole frame came since).
    private func trackPartialFrame(afterDecoding decoded: Bool) {
        let since = partialSince.load(ordering: .relaxed)
        if decoder.bufferedByteCount > 0 {
            guard since == 0 || decoded else { return }
            let now = MonotonicClock.now
            partialSince.store(now, ordering: .sequentiallyConsistent)
            // Stored before the flag is taken, so the timer, which clears the flag before it reads the time,
            // either sees this partial frame or leaves the flag for this thread to take.
            if frameDeadlineQueued.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent)
                .exchanged
            {
                engine.watchPartialFrame(self, since: now)
            }
        } else if since != 0 {
            partialSince.store(0, ordering: .releasing)
        }
    }

    /// For the engine's timer, when this connection's frame deadline comes: the time the partial frame now
    /// waiting began, with the deadline flag kept for the caller to re-queue; nil when no frame is partial
    /// (the flag is then free for the next one).
    func takeFrameDeadline() -> Int64? {
        frameDeadlineQueued.store(false, ordering: .sequentiallyConsistent)
        let since = partialSince.load(ordering: .sequentiallyConsistent)
        guard since != 0,
            frameDeadlineQueued.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent)
                .exchanged
        else { return nil }
        return since
    }

    /// Tears down if another thread asked to; false either way, as there is nothing more to read now.
    private func closeIfRequested() -> Bool {
        if let request = state.withLock({ $0.closeRequest }) { return finish(request) }
        return false
    }

    /// Tears the connection down; false, as there is nothing left to read.
    private func finish(_ request: CloseRequest) -> Bool {
        tearDown(request)
        return false
    }

    /// Acts on one frame; returns a close request when the connection must end.
    private func handle(_ frame: Frame) -> CloseRequest? {
        if case .send(let id, let capacity, let input) = frame {
            return handleSend(id: id, capacity: capacity, input: input)  // the hot path: one lock
        }
        let phase = state.withLock { $0.phase }
        switch (phase, frame) {
        case (.handshaking, .connect(let request)):
            return handleConnect(request)
        case (.handshaking, _):
            return violationRequest(.frameBeforeConnect(frame.type))
        case (_, .connect):
            return violationRequest(.secondConnect)
        case (_, .reply(let id, let status, let body)):
            handleReply(id: id, status: status, body: body)
            return nil
        default:
            return violationRequest(.wrongDirection(frame.type))
        }
    }

    private func handleConnect(_ request: ConnectRequest) -> CloseRequest? {
        engine.handshakeFinished(self)
        let valid =
            request.version == ConnectRequest.currentVersion && request.wcharSize != .unsupported
            && request.options & ~ConnectRequest.knownOptions == 0
        // The engine may have ended the handshake (timed out, or shed) just before: that ending stands.
        let ended = state.withLock { state -> CloseRequest? in
            if let request = state.closeRequest { return request }
            state.phase = valid ? .connecting : .refused
            return nil
        }
        if let ended { return ended }
        guard valid else {
            write(.connectResult(.invalidParameter))
            log(
                .notice,
                .protocolViolation,
                "refused a CONNECT with version \(request.version), wchar size \(request.wcharSize.rawValue), options 0x\(String(request.options, radix: 16)): version 1 takes wchar size 2 or 4 and option 0x1",
                status: .invalidParameter
            )
            return CloseRequest(status: nil, reason: "refused CONNECT")
        }
        engine.runner.submit(.connect(self, request))
        return nil
    }

    private func handleSend(id: UInt64, capacity: UInt32, input: [UInt8]) -> CloseRequest? {
        enum Decision { case queue, defer_, beforeConnect, duplicate, overLimit }
        let item = RoutineRunner.WorkItem.message(self, id: id, outputCapacity: capacity, input: input)
        let decision = state.withLock { state -> Decision in
            if state.phase == .handshaking { return .beforeConnect }
            if state.outstandingSends.contains(id) { return .duplicate }
            if state.outstandingSends.count >= engine.configuration.maxOutstandingSends { return .overLimit }
            state.outstandingSends.insert(id)
            if state.phase == .connecting {
                state.deferredSends.append(item)
                return .defer_
            }
            return .queue
        }
        switch decision {
        case .queue: engine.runner.submit(item)
        case .defer_: break
        case .beforeConnect: return violationRequest(.frameBeforeConnect(.send))
        case .duplicate: return violationRequest(.duplicateSendID(id))
        case .overLimit:
            logLimitOnce(
                "outstanding-sends",
                "more than \(engine.configuration.maxOutstandingSends) sends outstanding; answering STATUS_INSUFFICIENT_RESOURCES"
            )
            write(.sendResult(id: id, status: .insufficientResources, output: []))
        }
        return nil
    }

    private func violationRequest(_ violation: FrameViolation) -> CloseRequest {
        engine.statistics.recordViolation()
        log(
            .warning,
            .protocolViolation,
            "protocol violation: \(violation); disconnecting this client",
            status: .invalidParameter
        )
        return CloseRequest(status: .invalidParameter, reason: "protocol violation: \(violation)")
    }

    /// Sends DISCONNECT if asked, closes the socket and moves the life cycle on. Only the holder calls this.
    private func tearDown(_ request: CloseRequest) {
        enum Next { case releaseSlot, disconnectRoutine, nothing }
        let next = state.withLock { state -> Next in
            // Once only: the life-cycle steps below (handshake count, slot, disconnect routine) must not repeat.
            guard state.descriptorOpen else { return .nothing }
            if let status = request.status {
                state.output += Frame.disconnect(status).encoded()
                _ = try? flushLocked(&state)
            }
            closeLocked(&state)
            switch state.phase {
            case .handshaking:
                engine.handshakeFinished(self)
                return .releaseSlot
            case .refused: return .releaseSlot
            case .connecting: return .nothing  // the connect item sees the close and finishes the job
            case .connected: return .disconnectRoutine
            }
        }
        log(.debug, .connectionClosed, "connection closed: \(request.reason)")
        switch next {
        case .releaseSlot: engine.release(self)
        case .disconnectRoutine:
            engine.runner.submit(.disconnect(self))
        case .nothing: break
        }
    }

    private func closeLocked(_ state: inout State) {
        guard state.descriptorOpen else { return }
        state.descriptorOpen = false
        engine.epoll.remove(fd)
        if let writeDescriptor = state.writeDescriptor {
            engine.epoll.remove(writeDescriptor)
            closeDescriptor(writeDescriptor)
            state.writeDescriptor = nil
        }
        closeDescriptor(fd)
        state.output = []
        failWaitersLocked(&state)
    }

    // MARK: - Any thread: writing and asking to close

    /// Queues a frame for the client and writes what the socket takes now.
    func write(_ frame: Frame) {
        let bytes = frame.encoded()
        state.withLock { writeLocked(&$0, bytes) }
    }

    /// ``write(_:)`` for a caller that holds the lock already.
    func writeLocked(_ state: inout State, _ bytes: [UInt8]) {
        guard state.descriptorOpen, state.closeRequest == nil else { return }
        if bytes.count >= PortEngine.largeBufferBytes { noteLargeBuffer() }
        if state.output.isEmpty {
            // The common case: the socket takes it all, and nothing is copied into the queue.
            do {
                let written = try AbstractSocket.sendSome(fd, bytes)
                if written == bytes.count { return }
                state.output.append(contentsOf: bytes[written...])
            } catch {
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "writing to the client failed: \(error)"))
                return
            }
        } else {
            state.output += bytes
        }
        if state.output.count > engine.configuration.maxQueuedOutputBytes {
            logLimitOnce(
                &state,
                "output-queue",
                "the client does not read: over \(engine.configuration.maxQueuedOutputBytes) bytes queued; disconnecting it"
            )
            requestCloseLocked(&state, CloseRequest(status: nil, reason: "output queue full"))
            return
        }
        awaitWritableLocked(&state)
    }

    /// Writes queued output on an EPOLLOUT event of the write registration.
    func handleWritable() {
        state.withLock { state in
            guard state.descriptorOpen else { return }
            do {
                try flushLocked(&state)
            } catch {
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "writing to the client failed: \(error)"))
                return
            }
            if !state.output.isEmpty { awaitWritableLocked(&state) }
        }
    }

    /// Asks the holder to close this connection, sending DISCONNECT with `status` first.
    func requestClose(sending status: NTStatus?, reason: String) {
        state.withLock { requestCloseLocked(&$0, CloseRequest(status: status, reason: reason)) }
    }

    /// ``requestClose(sending:reason:)`` for a connection still waiting for CONNECT; true if it was (a CONNECT
    /// that came first wins, and the connection goes on).
    func endHandshake(sending status: NTStatus, reason: String) -> Bool {
        state.withLock { state in
            guard state.phase == .handshaking, state.descriptorOpen, state.closeRequest == nil else { return false }
            requestCloseLocked(&state, CloseRequest(status: status, reason: reason))
            return true
        }
    }

    private func requestCloseLocked(_ state: inout State, _ request: CloseRequest) {
        guard state.descriptorOpen, state.closeRequest == nil else { return }
        state.closeRequest = request
        // Raises a read event (reads return 0 once the queue is empty); a busy holder sees the request anyway.
        shutdown(fd, Int32(SHUT_RD))
    }

    private func flushLocked(_ state: inout State) throws(SystemError) {
        guard !state.output.isEmpty else { return }
        let written = try AbstractSocket.sendSome(fd, state.output)
        if written == state.output.count {
            state.output.removeAll(keepingCapacity: state.output.capacity <= 64 * 1024)
        } else {
            state.output.removeFirst(written)
        }
    }

    /// Registers (or re-arms) a duplicate descriptor for EPOLLOUT: any thread may do that safely, because a
    /// write event only flushes under the lock.
    private func awaitWritableLocked(_ state: inout State) {
        if let writeDescriptor = state.writeDescriptor {
            engine.rearmWrite(self, descriptor: writeDescriptor)
            return
        }
        let duplicate = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else {
            requestCloseLocked(
                &state,
                CloseRequest(status: nil, reason: "no descriptor left to wait for a slow reader")
            )
            return
        }
        state.writeDescriptor = duplicate
        engine.addWrite(self, descriptor: duplicate)
    }

    private func noteLargeBuffer() {
        movedLargeBuffers.store(true, ordering: .relaxed)
        engine.noteLargeBuffer()
    }

    func logLimitOnce(_ limit: String, _ message: String) {
        state.withLock { logLimitOnce(&$0, limit, message) }
    }

    private func logLimitOnce(_ state: inout State, _ limit: String, _ message: String) {
        guard state.limitsLogged.insert(limit).inserted else { return }
        log(.warning, .limitHit, message)
    }
}

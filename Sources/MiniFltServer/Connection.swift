import Dispatch
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltWire

#if canImport(Glibc)
import Glibc
#endif

/// One accepted client: its socket, its place in the life cycle of spec section 4, and its output queue.
///
/// # Thread safety
/// - `decoder` is touched only by the loop thread that holds this connection's one-shot read event: the
///   kernel hands the event to one thread at a time, and the holder re-arms it only when it is done
///   (`epoll_ctl` and `epoll_wait` order the hand-over).
/// - Everything else that changes lives in `state`, under its lock. The descriptor is closed with that lock
///   held, so a routine thread that writes under the lock never writes to a reused descriptor.
/// - Threads other than the holder never re-arm the read registration (that could hand the event to a second
///   thread); to make the holder look at the connection they `shutdown(SHUT_RD)` it, which makes the armed
///   registration fire, or, when the holder is busy, leave a request it reads before re-arming.
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
        /// The read registration is armed: no thread holds the connection.
        var armed = true
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
        var cookie: (any Sendable)?
        var client: ClientPort?
        /// Limits already logged for this connection (each limit is logged once per connection).
        var limitsLogged: Set<String> = []
    }

    let id: UInt64
    let fd: Int32
    let peer: PeerIdentity
    let engine: PortEngine
    let state = ConditionLock(State())
    private var decoder: FrameDecoder

    init(id: UInt64, fd: Int32, peer: PeerIdentity, engine: PortEngine) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.engine = engine
        self.decoder = FrameDecoder(role: .server, maximumBodyLength: engine.configuration.maxMessageSize)
    }

    /// Logs an event of this connection, with the client's identity.
    func log(_ level: Logger.Level, _ event: PortEvent, _ message: @autoclosure () -> String, status: NTStatus? = nil) {
        engine.logger.event(level, event, message(), peer: peer, status: status)
    }

    // MARK: - The holder's side: reading and closing

    /// Handles a read event; the calling thread holds the connection until it re-arms or tears it down.
    func handleReadable(scratch: UnsafeMutableRawBufferPointer) {
        if let request = state.withLock({ state -> CloseRequest? in
            state.armed = false
            return state.closeRequest
        }) {
            return tearDown(request)
        }
        for _ in 0..<4 {
            let count: Int?
            do {
                count = try AbstractSocket.receive(fd, into: scratch)
            } catch {
                return tearDown(CloseRequest(status: nil, reason: "the client's socket failed: \(error)"))
            }
            guard let count else { break }
            if count == 0 { return tearDown(CloseRequest(status: nil, reason: "the client closed the connection")) }
            decoder.append(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            do {
                while let frame = try decoder.next() {
                    if let request = handle(frame) { return tearDown(request) }
                }
            } catch {
                return violation(error)
            }
            if count < scratch.count { break }
        }
        let request = state.withLock { state -> CloseRequest? in
            if let request = state.closeRequest { return request }
            state.armed = true
            engine.rearmRead(self)
            return nil
        }
        if let request { tearDown(request) }
    }

    /// Acts on one frame; returns a close request when the connection must end.
    private func handle(_ frame: Frame) -> CloseRequest? {
        let phase = state.withLock { $0.phase }
        switch (phase, frame) {
        case (.handshaking, .connect(let request)):
            return handleConnect(request)
        case (.handshaking, _):
            return violationRequest(.frameBeforeConnect(frame.type))
        case (_, .connect):
            return violationRequest(.secondConnect)
        case (_, .send(let id, let capacity, let input)):
            return handleSend(id: id, capacity: capacity, input: input)
        case (_, .reply(let id, _, _)):
            // No FltSendMessage waits on this connection, so no reply has a waiter.
            write(.replyResult(id: id, status: .fltNoWaiterForReply))
            return nil
        default:
            return violationRequest(.wrongDirection(frame.type))
        }
    }

    private func handleConnect(_ request: ConnectRequest) -> CloseRequest? {
        engine.handshakeFinished()
        guard request.version == ConnectRequest.currentVersion, request.wcharSize != .unsupported,
            request.options & ~ConnectRequest.knownOptions == 0
        else {
            state.withLock { $0.phase = .refused }
            write(.connectResult(.invalidParameter))
            log(.notice, .protocolViolation, "refused a CONNECT with version \(request.version), wchar size \(request.wcharSize.rawValue), options 0x\(String(request.options, radix: 16)): version 1 takes wchar size 2 or 4 and option 0x1", status: .invalidParameter)
            return CloseRequest(status: nil, reason: "refused CONNECT")
        }
        state.withLock { $0.phase = .connecting }
        engine.runner.submit(.connect(self, request))
        return nil
    }

    private func handleSend(id: UInt64, capacity: UInt32, input: [UInt8]) -> CloseRequest? {
        enum Decision { case queue, defer_, duplicate, overLimit }
        let item = RoutineRunner.WorkItem.message(self, id: id, outputCapacity: capacity, input: input)
        let decision = state.withLock { state -> Decision in
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
        case .duplicate: return violationRequest(.duplicateSendID(id))
        case .overLimit:
            logLimitOnce("outstanding-sends", "more than \(engine.configuration.maxOutstandingSends) sends outstanding; answering STATUS_INSUFFICIENT_RESOURCES")
            write(.sendResult(id: id, status: .insufficientResources, output: []))
        }
        return nil
    }

    private func violationRequest(_ violation: FrameViolation) -> CloseRequest {
        engine.statistics.recordViolation()
        log(.warning, .protocolViolation, "protocol violation: \(violation); disconnecting this client", status: .invalidParameter)
        return CloseRequest(status: .invalidParameter, reason: "protocol violation: \(violation)")
    }

    private func violation(_ violation: FrameViolation) {
        tearDown(violationRequest(violation))
    }

    /// Sends DISCONNECT if asked, closes the socket and moves the life cycle on. Only the holder calls this.
    private func tearDown(_ request: CloseRequest) {
        enum Next { case releaseSlot, disconnectRoutine, nothing }
        let next = state.withLock { state -> Next in
            if let status = request.status, state.descriptorOpen {
                state.output += Frame.disconnect(status).encoded()
                _ = try? flushLocked(&state)
            }
            closeLocked(&state)
            switch state.phase {
            case .handshaking:
                engine.handshakeFinished()
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
    }

    // MARK: - Any thread: writing and asking to close

    /// Queues a frame for the client and writes what the socket takes now.
    func write(_ frame: Frame) {
        let bytes = frame.encoded()
        state.withLock { state in
            guard state.descriptorOpen, state.closeRequest == nil else { return }
            state.output += bytes
            do {
                try flushLocked(&state)
            } catch {
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "writing to the client failed: \(error)"))
                return
            }
            guard !state.output.isEmpty else { return }
            if state.output.count > engine.configuration.maxQueuedOutputBytes {
                logLimitOnce("output-queue", "the client does not read: over \(engine.configuration.maxQueuedOutputBytes) bytes queued; disconnecting it")
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "output queue full"))
                return
            }
            awaitWritableLocked(&state)
        }
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

    private func requestCloseLocked(_ state: inout State, _ request: CloseRequest) {
        guard state.descriptorOpen, state.closeRequest == nil else { return }
        state.closeRequest = request
        // Makes an armed registration fire (read returns 0); a busy holder sees the request before re-arming.
        if state.armed { shutdown(fd, Int32(SHUT_RD)) }
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
            requestCloseLocked(&state, CloseRequest(status: nil, reason: "no descriptor left to wait for a slow reader"))
            return
        }
        state.writeDescriptor = duplicate
        engine.addWrite(self, descriptor: duplicate)
    }

    func logLimitOnce(_ limit: String, _ message: String) {
        let first = state.withLock { $0.limitsLogged.insert(limit).inserted }
        guard first else { return }
        log(.warning, .limitHit, message)
    }
}

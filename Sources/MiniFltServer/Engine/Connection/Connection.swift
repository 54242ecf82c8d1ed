// SPDX-License-Identifier: MIT
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltWire
import Synchronization

/// One accepted client: its socket, its life cycle (``ConnectionLifeCycle``) and its output queue.
///
/// This file is the reading side: read, decode, hand each frame to the life cycle, act on what it says.
/// Writing is in `Connection+Output.swift`, the routine calls in `Connection+Routines.swift`, FltSendMessage in
/// `Connection+Messages.swift`.
///
/// # Thread safety
/// - The read registration is edge-triggered, so a message costs no `epoll_ctl`. While the standby thread
///   serves too, two threads can get events for one connection: `processing` lets one of them in (the
///   reader) and makes the other ask it to look again. `decoder` and `readerClosed` are touched only by the
///   reader; `processing`'s acquire and release order one reader's work before the next one's.
/// - Everything else that changes lives in `state`, under its lock: the life cycle, the output queue, the
///   client port and FltSendMessage's waiters. The descriptor is closed by the reader with that lock held,
///   so a routine thread that writes under the lock never writes to a reused descriptor. No line is logged
///   with the lock held.
/// - To make the reader look at the connection, other threads record a close request in the life cycle and
///   `shutdown(SHUT_RD)` the socket: the reader then reads 0 (after any data queued before), and the request
///   that came first decides how the connection ends.
final class Connection: @unchecked Sendable, RoutineTarget {
    typealias LifeCycle = ConnectionLifeCycle<MonotonicInstant, CookieBox, PendingSend>

    struct State {
        var life: LifeCycle
        var output = OutputQueue()
        /// The client port handed to the connect routine, kept once it accepted, for ``ServerPort/clients``.
        var client: (any AnyObject & Sendable)?
        /// The id of the next MESSAGE (FltSendMessage) to this client.
        var nextMessageID: UInt64 = 1
        /// Senders waiting for the client's REPLY, by message id.
        var waiters: [UInt64: MessageWaiter] = [:]
    }

    /// A read or write this large allocated buffers glibc keeps after they are freed (``MallocTuning``).
    static let largeBufferBytes = 64 << 10

    let id: UInt64
    let fd: Int32
    let peer: PeerIdentity
    let host: any ConnectionHost
    let context: ConnectionContext
    let state: StateLock<State>
    /// The partial frame's start, for the engine's frame deadline.
    let partialFrame = PartialFrameClock()
    /// Whether a read or write of ``largeBufferBytes`` or more happened: the memory such buffers take is freed
    /// only when the connection goes, and the engine must look again at freed memory then.
    let movedLargeBuffers = Atomic<Bool>(false)
    private var decoder: FrameDecoder
    /// The reader closed the socket: nothing more is read.
    private var readerClosed = false
    /// Descriptors received and not yet taken by a frame, oldest first (docs/protocol.md section 12). Reader only.
    private var receivedDescriptors: [Int32] = []
    /// Descriptors of SENDs held for the message routine, against ``maximumHeldDescriptors``.
    let heldDescriptors = Atomic<Int>(0)
    /// The client's CONNECT asked for descriptors (`FLT_PORT_FLAG_DESCRIPTORS`): only then does a frame to it
    /// carry any.
    let sendsDescriptors = Atomic<Bool>(false)
    /// minifltd's per-connection bound on descriptors held for the message routine (section 12).
    static let maximumHeldDescriptors = 1024
    /// A SEND's descriptors were refused (``maximumHeldDescriptors``, or the descriptor table's line) and it
    /// was logged: the next refusals of this connection are not.
    private let descriptorRefusalLogged = Atomic<Bool>(false)
    /// 0: nobody reads the connection; 1: a reader does; 2: a reader does and must look again.
    /// SENDs answered on this connection (one relaxed add each, beside the port's counter).
    let messagesAnswered = Atomic<Int>(0)
    private let processing = Atomic<Int>(0)
    /// An event said the peer hung up (or the socket failed): read on past short reads until the end of
    /// the stream, because data and hang-up can come in one edge and no further edge would follow.
    private let hungUp = Atomic<Bool>(false)

    init(
        id: UInt64,
        fd: Int32,
        peer: PeerIdentity,
        acceptedAt now: MonotonicInstant,
        host: any ConnectionHost,
        context: ConnectionContext
    ) {
        self.id = id
        self.fd = fd
        self.peer = peer
        self.host = host
        self.context = context
        self.state = StateLock(State(life: LifeCycle(acceptedAt: now, handshakeTimeout: context.handshakeTimeout)))
        self.decoder = FrameDecoder(role: .server, maximumBodyLength: context.maxMessageSize)
    }

    /// Logs an event of this connection, with the client's identity. Never called with the lock held.
    func log(
        _ level: Logger.Level,
        _ event: PortEvent,
        _ message: @autoclosure () -> String,
        status: NTStatus? = nil,
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        context.logger.event(
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

    // MARK: - The reader

    /// Handles a read event: reads and decodes, or asks the thread already doing so to look again.
    /// - Parameter hangUp: the event reported EPOLLRDHUP, EPOLLHUP or EPOLLERR.
    func handleReadable(hangUp: Bool, scratch: UnsafeMutableRawBufferPointer, lane: RoutineRunner.Lane) {
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
        if current != 0 { return }  // the reader will look again
        repeat {
            processing.store(1, ordering: .releasing)
            if readAvailable(scratch: scratch, lane: lane) { processing.store(2, ordering: .releasing) }
        } while !processing.compareExchange(expected: 1, desired: 0, ordering: .acquiringAndReleasing).exchanged
    }

    /// Reads what the socket holds, up to four reads; true when the budget ran out with data possibly left,
    /// which an edge-triggered registration would not report again.
    private func readAvailable(scratch: UnsafeMutableRawBufferPointer, lane: RoutineRunner.Lane) -> Bool {
        guard !readerClosed else { return false }
        for _ in 0..<4 {
            let received: AbstractSocket.Received?
            do {
                received = try AbstractSocket.receive(fd, into: scratch, withDescriptors: ())
            } catch {
                tearDown(CloseRequest(status: nil, reason: "the client's socket failed: \(error)"), lane: lane)
                return false
            }
            // Nothing to read: a later arrival, or a close request's shutdown, raises a new edge.
            guard let received else { return false }
            let count = received.count
            receivedDescriptors += received.descriptors
            if count == 0 {
                tearDown(CloseRequest(status: nil, reason: "the client closed the connection"), lane: lane)
                return false
            }
            if count >= Connection.largeBufferBytes { noteLargeBuffer() }
            var closing: CloseRequest?
            var decoded = false
            do {
                try decoder.decodeCounted(UnsafeRawBufferPointer(rebasing: scratch[0..<count])) { frame, announced in
                    decoded = true
                    closing = handle(frame, announcing: announced, lane: lane)
                    return closing == nil
                }
                if closing == nil { closing = checkLeftDescriptors(truncated: received.truncated) }
            } catch {
                closing = violation(error)
            }
            if let closing {
                tearDown(closing, lane: lane)
                return false
            }
            if let since = partialFrame.track(
                partial: decoder.bufferedByteCount > 0,
                decodedAny: decoded,
                now: { MonotonicClock.now }
            ) {
                host.watchPartialFrame(self, since: MonotonicInstant(nanoseconds: since))
            }
            // A short read emptied the socket: a later arrival raises a new edge. A hang-up raises none after
            // the edge that brought it, so then read on to the end of the stream. A read that brought
            // descriptors says nothing: the kernel ends a read after data that carried descriptors
            // (docs/protocol.md section 12), so more may wait with no new edge coming.
            if count < scratch.count, received.descriptors.isEmpty, !received.truncated,
                !hungUp.load(ordering: .sequentiallyConsistent)
            {
                return false
            }
        }
        return true
    }

    /// Takes the descriptors a frame announced from the front of the queue (docs/protocol.md section 12).
    private func takeDescriptors(_ announced: Int, for type: FrameType) throws(FrameViolation) -> PassedDescriptors? {
        guard announced > 0 else { return nil }
        guard receivedDescriptors.count >= announced else {
            throw .missingDescriptors(type: type, announced: announced, received: receivedDescriptors.count)
        }
        let taken = Array(receivedDescriptors.prefix(announced))
        receivedDescriptors.removeFirst(announced)
        return PassedDescriptors(taking: taken)
    }

    /// After a read's whole frames: the descriptors left must belong to the partial frame after them. On a
    /// connection that did not opt in, descriptors are closed unread, as the kernel did for servers before
    /// section 12 (a plain recv discards them): old clients see no change.
    private func checkLeftDescriptors(truncated: Bool) -> CloseRequest? {
        guard decoder.acceptsDescriptors else {
            closeReceivedDescriptors()
            return nil
        }
        // With room for 253 in the control buffer, only this process's full descriptor table truncates.
        if truncated { return outOfDescriptors("the kernel could not hand over a read's descriptors (MSG_CTRUNC)") }
        if receivedDescriptors.count > decoder.partialFrameDescriptorCapacity {
            return violation(.unannouncedDescriptors(receivedDescriptors.count))
        }
        // A partial frame cannot be answered yet, and would park its descriptors up to the frame timeout.
        if let highest = receivedDescriptors.max(), highest >= context.heldDescriptorLine {
            return outOfDescriptors(
                "a partial frame's descriptors reach descriptor \(highest), past \(context.heldDescriptorLine) (the reserve and one read's worth are kept free)"
            )
        }
        return nil
    }

    /// Ends the connection with DISCONNECT STATUS_INSUFFICIENT_RESOURCES: the daemon cannot hold what it sent.
    private func outOfDescriptors(_ why: String) -> CloseRequest {
        log(.warning, .limitHit, "\(why); disconnecting this client", status: .insufficientResources)
        return CloseRequest(status: .insufficientResources, reason: why)
    }

    /// Why the server cannot hold a SEND's descriptors for its message routine (docs/protocol.md section 12,
    /// limits); nil when it holds them, and then they are counted against the connection's bound.
    private func holdRefusal(_ descriptors: PassedDescriptors) -> String? {
        if let highest = descriptors.descriptors.max(), highest >= context.heldDescriptorLine {
            return
                "the descriptor table is nearly full (a descriptor passed with a SEND became \(highest), past \(context.heldDescriptorLine); the reserve and one read's worth are kept free)"
        }
        guard holdDescriptors(descriptors.count) else {
            return "more than \(Connection.maximumHeldDescriptors) descriptors held for the message routine"
        }
        return nil
    }

    private func closeReceivedDescriptors() {
        for descriptor in receivedDescriptors { closeDescriptor(descriptor) }
        receivedDescriptors = []
    }

    /// Acts on one frame; returns a close request when the connection must end.
    private func handle(_ frame: Frame, announcing announced: Int, lane: RoutineRunner.Lane) -> CloseRequest? {
        let descriptors: PassedDescriptors?
        do {
            descriptors = try takeDescriptors(announced, for: frame.type)
        } catch {
            return violation(error)
        }
        switch frame {
        case .send(let id, let capacity, let input):
            var send = PendingSend(id: id, outputCapacity: capacity, input: input)
            if let descriptors {
                if let refusal = holdRefusal(descriptors) {
                    // Once per connection, as every limit (a parking client would otherwise fill the log).
                    if !descriptorRefusalLogged.exchange(true, ordering: .relaxed) {
                        log(
                            .warning,
                            .limitHit,
                            "\(refusal); answering STATUS_INSUFFICIENT_RESOURCES (logged once for this connection)"
                        )
                    }
                    descriptors.close()  // before the answer: the client may count on them being gone
                    write(.sendResult(id: id, status: .insufficientResources, output: []))
                    return nil
                }
                send.descriptors = PassedDescriptors(taking: descriptors.take()) { [weak self] released in
                    _ = self?.heldDescriptors.subtract(released, ordering: .relaxed)
                }
            }
            return handleSend(send, lane: lane)
        case .connect(let request):
            return handleConnect(request, lane: lane)
        case .reply(let id, let status, let body):
            // A REPLY before CONNECT is as wrong as any other frame before it.
            if state.withLock({ $0.life.isHandshaking }) { return violation(.frameBeforeConnect(frame.type)) }
            handleReply(id: id, status: status, body: body, descriptors: descriptors)
            return nil
        default:
            if state.withLock({ $0.life.isHandshaking }) { return violation(.frameBeforeConnect(frame.type)) }
            return violation(.wrongDirection(frame.type))
        }
    }

    private func handleConnect(_ request: ConnectRequest, lane: RoutineRunner.Lane) -> CloseRequest? {
        host.handshakeFinished(self)
        if request.options & ConnectRequest.descriptorsOption != 0 {
            sendsDescriptors.store(true, ordering: .releasing)
        }
        let valid =
            request.version == ConnectRequest.currentVersion && request.wcharSize != .unsupported
            && request.options & ~ConnectRequest.knownOptions == 0
        var problem: OutputProblem?
        let action = state.withLock { state -> Connection.LifeCycle.ConnectAction in
            let action = state.life.connectDecoded(valid: valid)
            switch action {
            case .runConnectRoutine: context.runner.submit(.connect(self, request), on: lane)
            case .refuseInvalid: problem = writeLocked(&state, Frame.connectResult(.invalidParameter).encoded())
            case .close, .violation: break
            }
            return action
        }
        report(problem)
        switch action {
        case .runConnectRoutine: return nil
        case .refuseInvalid:
            log(
                .notice,
                .protocolViolation,
                "refused a CONNECT with version \(request.version), wchar size \(request.wcharSize.rawValue), options 0x\(String(request.options, radix: 16)): version 1 takes wchar size 2 or 4 and options 0x1 and 0x100",
                status: .invalidParameter
            )
            return CloseRequest(status: nil, reason: "refused CONNECT")
        case .close(let request): return request
        case .violation(let violation): return self.violation(violation)
        }
    }

    /// The hot path: one lock, and the routine queued on this thread's lane.
    private func handleSend(_ send: PendingSend, lane: RoutineRunner.Lane) -> CloseRequest? {
        var problem: OutputProblem?
        let action = state.withLock { state -> Connection.LifeCycle.SendAction in
            let action = state.life.messageDecoded(
                id: send.id,
                send: send,
                maximumOutstanding: context.maxOutstandingSends
            )
            switch action {
            case .runMessageRoutine(let cookie): context.runner.submit(.message(self, send, cookie), on: lane)
            case .overLimit:
                problem = writeLocked(
                    &state,
                    Frame.sendResult(id: send.id, status: .insufficientResources, output: []).encoded()
                )
            case .deferred, .ignored, .close, .violation: break
            }
            return action
        }
        report(problem)
        switch action {
        case .runMessageRoutine, .deferred, .ignored: return nil
        case .overLimit(let logLimit):
            if logLimit {
                log(
                    .warning,
                    .limitHit,
                    "more than \(context.maxOutstandingSends) sends outstanding; answering STATUS_INSUFFICIENT_RESOURCES"
                )
            }
            return nil
        case .close(let request): return request
        case .violation(let violation): return self.violation(violation)
        }
    }

    /// Counts `count` more descriptors against the connection's bound; false (nothing counted) past it.
    private func holdDescriptors(_ count: Int) -> Bool {
        let after = heldDescriptors.add(count, ordering: .relaxed).newValue
        guard after > Connection.maximumHeldDescriptors else { return true }
        heldDescriptors.subtract(count, ordering: .relaxed)
        return false
    }

    private func violation(_ violation: FrameViolation) -> CloseRequest {
        context.statistics.recordViolation()
        log(
            .warning,
            .protocolViolation,
            "protocol violation: \(violation); disconnecting this client",
            status: .invalidParameter
        )
        return CloseRequest(status: .invalidParameter, reason: "protocol violation: \(violation)")
    }

    /// Sends DISCONNECT if the first reason to close asks for it, closes the socket and moves the life cycle
    /// on. Only the reader calls this.
    private func tearDown(_ cause: CloseRequest, lane: RoutineRunner.Lane) {
        readerClosed = true
        closeReceivedDescriptors()
        var notifications: [@Sendable () -> Void] = []
        let tearDown = state.withLock { state -> Connection.LifeCycle.TearDown? in
            guard let tearDown = state.life.socketClosing(cause: cause) else { return nil }
            if let status = tearDown.disconnectStatus {
                state.output.append(Frame.disconnect(status).encoded())
                _ = try? state.output.flush(fd)
            }
            closeLocked(&state)
            notifications = failWaitersLocked(&state)
            if case .runDisconnectRoutine(let cookie) = tearDown.then {
                context.runner.submit(.disconnect(self, cookie), on: lane)
            }
            return tearDown
        }
        for notify in notifications { notify() }
        guard let tearDown else { return }
        log(.debug, .connectionClosed, "connection closed: \(tearDown.reason)")
        if case .freeSlot(let handshaking) = tearDown.then {
            if handshaking { host.handshakeFinished(self) }
            host.freeSlot(self, wasConnected: false)
        }
    }

    private func closeLocked(_ state: inout State) {
        host.forget(fd)
        if let writeDescriptor = state.output.writeDescriptor {
            host.forget(writeDescriptor)
            closeDescriptor(writeDescriptor)
        }
        closeDescriptor(fd)
        state.output = OutputQueue()
    }

    // MARK: - Any thread: asking to close

    /// Asks the reader to close this connection, sending DISCONNECT with `status` first.
    func requestClose(sending status: NTStatus?, reason: String) {
        state.withLock { requestCloseLocked(&$0, CloseRequest(status: status, reason: reason)) }
    }

    /// ``requestClose(sending:reason:)`` for a connection still waiting for CONNECT; true if it was (a CONNECT
    /// that came first wins, and the connection goes on).
    func endHandshake(sending status: NTStatus, reason: String) -> Bool {
        state.withLock { state in
            guard state.life.handshakeEnded(CloseRequest(status: status, reason: reason)) else { return false }
            wakeReader()
            return true
        }
    }

    /// The timer found the handshake deadline passed: true when that closes the connection.
    func handshakeDeadlinePassed(now: MonotonicInstant) -> Bool {
        state.withLock { state in
            guard case .close = state.life.handshakeDeadlinePassed(now: now) else { return false }
            wakeReader()
            return true
        }
    }

    /// The timer found the partial frame that began at `since` still partial at `now`: nil when that closes
    /// the connection, or the deadline to watch.
    func frameDeadlinePassed(
        since: MonotonicInstant,
        now: MonotonicInstant,
        frameTimeout: Duration
    )
        -> MonotonicInstant?
    {
        let action = state.withLock { state in
            let action = state.life.frameDeadlinePassed(partialSince: since, now: now, frameTimeout: frameTimeout)
            if case .close = action { wakeReader() }
            return action
        }
        switch action {
        case .notYet(let deadline): return deadline
        case .none: return nil
        case .close(let logLimit):
            if logLimit {
                log(
                    .warning,
                    .limitHit,
                    "a frame was not complete within the frame timeout of \(frameTimeout); disconnecting"
                )
            }
            return nil
        }
    }

    /// The client port, while the connect routine's acceptance holds (until the slot is freed).
    var connectedClient: (any AnyObject & Sendable)? {
        state.withLock { $0.life.isConnected ? $0.client : nil }
    }

    /// Raises a read event (reads return 0 once the queue is empty); a busy reader sees the request anyway.
    /// Called with the lock held, while the life cycle says the socket is open: the reader closes it under
    /// the same lock.
    func wakeReader() {
        try? DescriptorCalls.shutdown(fd, .read)
    }

    func noteLargeBuffer() {
        movedLargeBuffers.store(true, ordering: .relaxed)
        host.noteLargeBuffer()
    }
}

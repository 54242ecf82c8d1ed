// SPDX-License-Identifier: MIT
package import MiniFltWire

/// Why a connection ends: the DISCONNECT status to send first (nil sends none) and a reason for the log.
package struct CloseRequest: Hashable, Sendable {
    package var status: NTStatus?
    package var reason: String

    package init(status: NTStatus?, reason: String) {
        self.status = status
        self.reason = reason
    }
}

/// One connection's life cycle, with no socket, thread or clock: each event is a `mutating func` that returns
/// what the caller must do (hummingbird's state machine pattern).
///
/// It keeps the promises of docs/protocol.md section 10 in one place:
/// - the connect routine runs before any message routine, and SENDs that come while it runs wait for it;
/// - a connect routine that accepted is followed by exactly one disconnect routine, and one that refused (or
///   never ran) by none;
/// - no message routine starts after the disconnect routine started: a SEND counts as in flight from the
///   moment it is queued, and the disconnect routine waits until none is;
/// - the slot is freed once, and only after the disconnect routine returned (or when none is due).
///
/// The socket's side (open, a close asked for, closed) is kept beside the routines' side, because each
/// decides what the other may do: the first reason to close wins, and no frame is written once it is given.
///
/// Generic over the instants deadlines are kept in, the connection cookie and what a deferred SEND carries,
/// so that tests drive it with plain values.
///
/// # Thread safety
/// A value: its owner keeps it under one lock (``Connection``).
package struct ConnectionLifeCycle<Instant: InstantProtocol, Cookie: Sendable, Send>
where Instant.Duration == Duration {
    package enum Phase {
        /// Accepted; CONNECT must come by the deadline.
        case handshaking(deadline: Instant)
        /// The connect routine is queued or running; SENDs wait in `deferred`.
        case connecting(deferred: [(id: UInt64, send: Send)])
        /// The connect routine accepted the connection.
        case connected(Cookie)
        /// The disconnect routine is due or running.
        case disconnecting
        /// The connect was refused (by the routine, or for a bad CONNECT) and the socket is closing: no
        /// disconnect routine follows.
        case refused
        /// The slot is freed (every action that frees it moves here): nothing happens any more.
        case finished
    }

    package enum Socket: Hashable {
        case open
        /// Someone asked the reading thread to close it: the first request wins.
        case closeRequested(CloseRequest)
        case closed
    }

    /// The limits a connection can hit, each logged once per connection.
    package enum Limit: Hashable, CaseIterable {
        case outstandingSends
        case outputQueue
        case frameTimeout
    }

    package private(set) var phase: Phase
    package private(set) var socket = Socket.open
    /// SEND ids waiting for their SEND_RESULT (deferred, queued or running).
    package private(set) var outstandingSends: Set<UInt64> = []
    /// Message routines queued or running: the disconnect routine waits for them.
    package private(set) var routinesInFlight = 0
    private var limitsLogged: Set<Limit> = []

    /// The connection was accepted at `now`: CONNECT must come within `handshakeTimeout`.
    package init(acceptedAt now: Instant, handshakeTimeout: Duration) {
        phase = .handshaking(deadline: now.advanced(by: handshakeTimeout))
    }

    // MARK: - What the owner asks

    /// Whether frames may still be written: no close was asked for.
    package var acceptsOutput: Bool { socket == .open }

    /// Whether the connect routine accepted the client and its slot is not yet free: the client is listed.
    package var isConnected: Bool {
        switch phase {
        case .connected, .disconnecting: true
        default: false
        }
    }

    /// Whether the client still waits for CONNECT.
    package var isHandshaking: Bool {
        if case .handshaking = phase { return true }
        return false
    }

    // MARK: - CONNECT

    package enum ConnectAction: Equatable {
        /// Queue the connect routine.
        case runConnectRoutine
        /// Answer CONNECT_RESULT with STATUS_INVALID_PARAMETER and close without DISCONNECT.
        case refuseInvalid
        /// Another reason to close came first (a handshake deadline, shedding): close for it.
        case close(CloseRequest)
        /// Close for breaking the protocol.
        case violation(FrameViolation)
    }

    /// A CONNECT was decoded; `valid` says whether its version, wchar size and options are ones this port
    /// speaks (docs/protocol.md section 3).
    package mutating func connectDecoded(valid: Bool) -> ConnectAction {
        guard case .handshaking = phase else { return .violation(.secondConnect) }
        if case .closeRequested(let request) = socket { return .close(request) }
        guard valid else {
            phase = .refused
            return .refuseInvalid
        }
        phase = .connecting(deferred: [])
        return .runConnectRoutine
    }

    package enum ConnectStartAction: Equatable {
        /// Run the connect routine.
        case run
        /// The client left before its connect routine started: no routine at all; free the slot.
        case freeSlot
    }

    /// The connect routine is about to run.
    package mutating func connectRoutineStarting() -> ConnectStartAction {
        guard socket == .closed else { return .run }
        phase = .finished
        return .freeSlot
    }

    package enum ConnectReturnAction {
        /// Answer CONNECT_RESULT with STATUS_SUCCESS, then queue these SENDs that came meanwhile, in order.
        case accepted(cookie: Cookie, queue: [(id: UInt64, send: Send)])
        /// Accepted, but the client left meanwhile: run the disconnect routine now.
        case runDisconnectRoutine(Cookie)
        /// Answer CONNECT_RESULT with this status, then ask to close without DISCONNECT (``closeRequested(_:)``).
        case refused(NTStatus)
        /// Refused, and the client left meanwhile: free the slot.
        case freeSlot
    }

    /// The connect routine returned.
    package mutating func connectRoutineReturned(_ result: ConnectResult<Cookie>) -> ConnectReturnAction {
        guard case .connecting(let deferred) = phase else {
            preconditionFailure("a connect routine returned in phase \(phase)")
        }
        switch result {
        case .accept(let cookie):
            if socket == .closed {
                outstandingSends = []
                phase = .disconnecting
                return .runDisconnectRoutine(cookie)
            }
            phase = .connected(cookie)
            routinesInFlight += deferred.count
            return .accepted(cookie: cookie, queue: deferred)
        case .refuse(let status):
            outstandingSends = []
            if socket == .closed {
                phase = .finished
                return .freeSlot
            }
            phase = .refused
            // A refusal must fail the client's call: success is no refusal (docs/protocol.md section 3).
            return .refused(status == .success ? NTStatus.unsuccessful : status)
        }
    }

    // MARK: - SEND and its routine

    package enum SendAction {
        /// Queue the message routine with this cookie.
        case runMessageRoutine(Cookie)
        /// Kept until the connect routine accepts.
        case deferred
        /// Answer SEND_RESULT with STATUS_INSUFFICIENT_RESOURCES; log the limit when `logLimit`.
        case overLimit(logLimit: Bool)
        /// The connection is ending: drop the SEND.
        case ignored
        /// Another reason to close came first: close for it.
        case close(CloseRequest)
        /// Close for breaking the protocol.
        case violation(FrameViolation)
    }

    /// A SEND was decoded (docs/protocol.md section 4).
    package mutating func messageDecoded(id: UInt64, send: Send, maximumOutstanding: Int) -> SendAction {
        if case .closeRequested(let request) = socket { return .close(request) }
        switch phase {
        case .handshaking: return .violation(.frameBeforeConnect(.send))
        case .refused, .disconnecting, .finished: return .ignored
        case .connecting, .connected: break
        }
        if outstandingSends.contains(id) { return .violation(.duplicateSendID(id)) }
        guard outstandingSends.count < maximumOutstanding else {
            return .overLimit(logLimit: limitsLogged.insert(.outstandingSends).inserted)
        }
        outstandingSends.insert(id)
        switch phase {
        case .connecting(var deferred):
            deferred.append((id, send))
            phase = .connecting(deferred: deferred)
            return .deferred
        case .connected(let cookie):
            routinesInFlight += 1
            return .runMessageRoutine(cookie)
        default:
            preconditionFailure("unreachable: phase checked above")
        }
    }

    package enum MessageReturnAction {
        case none
        /// The client left while message routines ran, and this was the last: run the disconnect routine.
        case runDisconnectRoutine(Cookie)
    }

    /// A message routine returned; its SEND_RESULT is written (when ``acceptsOutput``) with the same lock held.
    package mutating func messageRoutineReturned(id: UInt64) -> MessageReturnAction {
        routinesInFlight -= 1
        outstandingSends.remove(id)
        return disconnectIfDue()
    }

    // MARK: - Closing

    /// Asks the reading thread to close; true when this is the first request, and the caller must make the
    /// reading thread look (shutdown(SHUT_RD) raises a read event). ClientPort.close, shutdown, a write that
    /// failed or a full output queue.
    package mutating func closeRequested(_ request: CloseRequest) -> Bool {
        guard socket == .open else { return false }
        socket = .closeRequested(request)
        return true
    }

    /// ``closeRequested(_:)`` for a connection still waiting for CONNECT (shed for a newer one): true if it
    /// was; a CONNECT that came first wins, and the connection goes on.
    package mutating func handshakeEnded(_ request: CloseRequest) -> Bool {
        guard isHandshaking else { return false }
        return closeRequested(request)
    }

    package enum DeadlineAction: Equatable {
        /// The deadline has not come: look again then.
        case notYet(Instant)
        /// The connection is past what the deadline guards, or closing anyway.
        case none
        /// Close it with DISCONNECT(STATUS_IO_TIMEOUT); the caller makes the reading thread look and logs.
        case close(logLimit: Bool)
    }

    /// The timer looked at the handshake deadline at `now` (docs/protocol.md section 3).
    package mutating func handshakeDeadlinePassed(now: Instant) -> DeadlineAction {
        guard case .handshaking(let deadline) = phase else { return .none }
        guard deadline <= now else { return .notYet(deadline) }
        return closeRequested(CloseRequest(status: .ioTimeout, reason: "handshake timeout"))
            ? .close(logLimit: true) : .none
    }

    /// The timer looked at a frame that began arriving at `partialSince` and is not complete at `now`
    /// (docs/protocol.md section 6).
    package mutating func frameDeadlinePassed(
        partialSince: Instant,
        now: Instant,
        frameTimeout: Duration
    ) -> DeadlineAction {
        let deadline = partialSince.advanced(by: frameTimeout)
        guard deadline <= now else { return .notYet(deadline) }
        let logLimit = limitsLogged.insert(.frameTimeout).inserted
        guard closeRequested(CloseRequest(status: .ioTimeout, reason: "frame timeout")) else { return .none }
        return .close(logLimit: logLimit)
    }

    /// The output queue passed its limit: true when the limit is to be logged (once per connection). The
    /// connection is asked to close.
    package mutating func outputOverflowed() -> (logLimit: Bool, requested: Bool) {
        let logLimit = limitsLogged.insert(.outputQueue).inserted
        return (logLimit, closeRequested(CloseRequest(status: nil, reason: "output queue full")))
    }

    package struct TearDown {
        /// Write DISCONNECT with this status before closing (nil: none).
        package var disconnectStatus: NTStatus?
        package var reason: String
        package var then: AfterClose
    }

    package enum AfterClose {
        /// Free the slot now; `handshaking` says the client never sent CONNECT.
        case freeSlot(handshaking: Bool)
        /// Run the disconnect routine now.
        case runDisconnectRoutine(Cookie)
        /// The disconnect routine runs when the last message routine returns (or the connect routine does).
        case waitForRoutines
    }

    /// The reading thread closes the socket: the peer closed, a read failed, or a close was requested. The
    /// first reason to close wins over `cause`. Nil when the socket is closed already.
    package mutating func socketClosing(cause: CloseRequest) -> TearDown? {
        let request: CloseRequest
        switch socket {
        case .closed: return nil
        case .open: request = cause
        case .closeRequested(let first): request = first
        }
        socket = .closed
        let then: AfterClose
        switch phase {
        case .handshaking:
            phase = .finished
            then = .freeSlot(handshaking: true)
        case .refused:
            phase = .finished
            then = .freeSlot(handshaking: false)
        case .connecting: then = .waitForRoutines  // the connect routine sees the close when it returns
        case .connected:
            if case .runDisconnectRoutine(let cookie) = disconnectIfDue() {
                then = .runDisconnectRoutine(cookie)
            } else {
                then = .waitForRoutines
            }
        case .disconnecting, .finished: preconditionFailure("the socket was open in phase \(phase)")
        }
        return TearDown(disconnectStatus: request.status, reason: request.reason, then: then)
    }

    /// The disconnect routine returned: the caller frees the slot.
    package mutating func disconnectRoutineReturned() {
        guard case .disconnecting = phase else {
            preconditionFailure("a disconnect routine returned in phase \(phase)")
        }
        phase = .finished
    }

    private mutating func disconnectIfDue() -> MessageReturnAction {
        guard socket == .closed, routinesInFlight == 0, case .connected(let cookie) = phase else { return .none }
        outstandingSends = []
        phase = .disconnecting
        return .runDisconnectRoutine(cookie)
    }
}

// SPDX-License-Identifier: MIT
import CMiniFltPosix
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The state of the listening socket.
enum ListenerState: Equatable {
    case armed
    case processing
    /// Not re-armed until the deadline (monotonic ns): accept failed for lack of descriptors or memory.
    case backingOff(until: Int64)
    case closed
}

/// The listener and admission: accept, back off when descriptors or memory run out, keep the descriptor
/// reserve, check the permission descriptor and the connection count, shed the largest uid's oldest handshake
/// when the pending-handshake cap is full (docs/protocol.md sections 3 and 10, promise 1).
extension PortEngine {
    func handleListener(_ io: LoopBuffers) {
        let proceed = state.withLock { state in
            guard state.listener == .armed else { return false }
            state.listener = .processing
            return true
        }
        guard proceed else { return }
        var next = ListenerState.armed
        for _ in 0..<64 {
            let fd = injectable("accept4") { CMiniFltPosix_accept(listenDescriptor) }
            if fd < 0 {
                let error = CMiniFltPosix_errno()
                if error == EAGAIN || error == EWOULDBLOCK { break }
                if error == EINTR || error == ECONNABORTED || error == EPROTO || error == EPERM { continue }
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: the listener stays; accepting resumes after a pause.
                let first = state.withLock { state in
                    defer { state.acceptFailureLogged = true }
                    return !state.acceptFailureLogged
                }
                if first {
                    logger.event(
                        .error,
                        .acceptFailure,
                        "accept failed: \(SystemError("accept4", errno: error)); pausing accepts for 100 ms (logged once)"
                    )
                }
                next = .backingOff(until: MonotonicClock.now + 100_000_000)
                break
            }
            // The lowest free descriptor is the one accept returns: a high one means the table is nearly full.
            // Descriptors held for routines sit below it, so they count too; while a client may pass
            // descriptors, one read's worth above the reserve is kept free for it as well.
            if fd >= firstReservedDescriptor {
                refuseForReserve(fd, keptForDescriptors: false)
                continue
            }
            if fd >= heldDescriptorLine, clientPassesDescriptors() {
                refuseForReserve(fd, keptForDescriptors: true)
                continue
            }
            admit(fd, io)
        }
        state.withLock { state in
            if state.listenerCloseRequested {
                closeListenerLocked(&state)
                return
            }
            state.listener = next
            switch next {
            case .armed: try? epoll.rearm(listenDescriptor, events: .readable, token: EpollToken.listener.rawValue)
            case .backingOff(let until): scheduleTimerLocked(&state, at: until)
            default: break
            }
        }
    }

    /// Checks the permission descriptor, then the connection count; with every pending-handshake place taken,
    /// sheds the oldest handshake of the uid that holds the most, so that no uid can lock others out.
    private func admit(_ fd: Int32, _ io: LoopBuffers) {
        let settings = admissionSettings.withLock { $0 }
        let peer: PeerIdentity
        do {
            let credentials = try AbstractSocket.peerCredentials(of: fd)
            let groups = try AbstractSocket.peerGroups(of: fd)
            peer = PeerIdentity(
                pid: credentials.pid,
                uid: credentials.uid,
                gid: credentials.gid,
                groups: groups,
                overflowUID: configuration.overflowIDs.uid,
                overflowGID: configuration.overflowIDs.gid
            )
        } catch {
            logger.warning("cannot read a client's credentials: \(error); closing it")
            closeDescriptor(fd)
            return
        }
        guard settings.permissions.grants(.connect, to: peer) else {
            statistics.recordDenied()
            refuse(
                fd,
                peer,
                .accessDenied,
                .accessDenied,
                "access denied to pid \(peer.pid) uid \(peer.uid) gid \(peer.gid) by the permission descriptor"
            )
            return
        }
        enum Admission {
            case admitted(Connection, shedding: Connection?)
            case full
        }
        let admission = state.withLock { state -> Admission in
            guard state.connections.count < settings.maxConnections else { return .full }
            let id = state.nextID
            state.nextID += 1
            let now = MonotonicClock.now
            let connection = Connection(
                id: id,
                fd: fd,
                peer: peer,
                acceptedAt: MonotonicInstant(nanoseconds: now),
                host: self,
                context: context
            )
            state.connections[id] = connection
            state.reserveRefusalLogged = false
            var shed: Connection?
            if state.handshakes.count >= settings.maxPendingHandshakes,
                let oldest = state.handshakes.oldestOfLargestShare()
            {
                state.handshakes.remove(oldest)
                shed = state.connections[oldest]
            }
            let deadline = now + handshakeTimeoutNanoseconds
            state.handshakes.insert(id, uid: peer.uid, deadline: deadline)
            scheduleTimerLocked(&state, at: deadline)
            return .admitted(connection, shedding: shed)
        }
        switch admission {
        case .full:
            statistics.recordLimitRefusal()
            refuse(
                fd,
                peer,
                .connectionCountLimit,
                .connectionLimit,
                "connection refused: \(settings.maxConnections) of \(settings.maxConnections) connections in use"
            )
        case .admitted(let connection, let shed):
            if let shed, shed.endHandshake(sending: .insufficientResources, reason: "shed for a newer connection") {
                shed.log(
                    .notice,
                    .limitHit,
                    "\(settings.maxPendingHandshakes) connections wait for CONNECT; ending the oldest of uid \(shed.peer.uid), which has the most, for a connection of uid \(peer.uid)",
                    status: .insufficientResources
                )
            }
            do {
                try epoll.addEdgeTriggered(
                    fd,
                    events: [.readable, .readHangUp],
                    token: EpollToken.read(connection: connection.id).rawValue
                )
            } catch {
                logger.error("cannot watch a client's socket: \(error); closing it")
                connection.requestClose(sending: .insufficientResources, reason: "epoll_ctl failed")
                connection.handleReadable(hangUp: false, scratch: io.scratch, lane: io.lane)
            }
        }
    }

    /// Whether a connected client asked for descriptors (docs/protocol.md section 12): it may send 253 in one
    /// read. Looked up only when the table is this full.
    private func clientPassesDescriptors() -> Bool {
        state.withLock { state in
            state.connections.values.contains { $0.sendsDescriptors.load(ordering: .relaxed) }
        }
    }

    /// Refuses a connection that would eat into the descriptor reserve (and, with `keptForDescriptors`, into
    /// the room kept for one read of descriptors), and says so once per stretch of them.
    private func refuseForReserve(_ fd: Int32, keptForDescriptors: Bool) {
        let first = state.withLock { state in
            defer { state.reserveRefusalLogged = true }
            return !state.reserveRefusalLogged
        }
        if first {
            let left =
                keptForDescriptors
                ? "at most \(configuration.reservedDescriptors + Int(firstReservedDescriptor - heldDescriptorLine)) descriptors are left, kept for the open watcher, the log and one read of the descriptors clients pass"
                : "only \(configuration.reservedDescriptors) descriptors are left, kept for the open watcher and the log"
            logger.event(
                .error,
                .limitHit,
                "refusing connections: \(left) (raise LimitNOFILE= or ulimit -n, or lower --max-connections and --max-pending-handshakes); logged once until one is accepted again",
                status: .insufficientResources
            )
        }
        _ = try? AbstractSocket.sendSome(fd, Frame.connectResult(.insufficientResources).encoded())
        closeDescriptor(fd)
    }

    /// Logs the refusal, answers CONNECT_RESULT with `status` before the client's CONNECT is read, and closes.
    private func refuse(_ fd: Int32, _ peer: PeerIdentity, _ status: NTStatus, _ event: PortEvent, _ message: String) {
        logger.event(.warning, event, message, peer: peer, status: status)
        let frame = Frame.connectResult(status).encoded()
        _ = try? AbstractSocket.sendSome(fd, frame)
        closeDescriptor(fd)
    }

    /// At a timer expiry: accepting resumes once a back-off has run its course; else the timer waits for it.
    func resumeListenerIfDueLocked(_ state: inout State, now: MonotonicInstant) {
        guard case .backingOff(let until) = state.listener else { return }
        if until <= now.nanoseconds {
            state.listener = .armed
            try? epoll.rearm(listenDescriptor, events: .readable, token: EpollToken.listener.rawValue)
        } else {
            scheduleTimerLocked(&state, at: until)
        }
    }

    /// Stops accepting: the listening socket is closed; connections live on.
    func closeListener() {
        state.withLock { state in
            if state.listener == .processing {
                state.listenerCloseRequested = true
            } else {
                closeListenerLocked(&state)
            }
        }
    }

    func closeListenerLocked(_ state: inout State) {
        guard state.listener != .closed else { return }
        state.listener = .closed
        epoll.remove(listenDescriptor)
        closeDescriptor(listenDescriptor)
    }
}

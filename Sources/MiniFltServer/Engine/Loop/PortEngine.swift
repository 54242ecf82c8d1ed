// SPDX-License-Identifier: MIT
import CMiniFltPosix
import Dispatch
import HeapModule
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The I/O side of a server port: one epoll instance, a loop thread and a standby thread.
///
/// The loop thread first does the I/O of all its events (accept, read and decode, write), queueing routine
/// calls on the ``RoutineRunner``, and then runs them with `routineQueue.sync`, writing each result itself.
/// Measured on this machine class, an epoll loop that runs routines with `queue.sync` reaches about 0.9x of
/// a C epoll server, where Dispatch read sources reach 0.45x.
///
/// The standby thread sleeps on the ``RoutineWatchdog``'s timer. When a routine has run for a whole
/// interval, it serves the same epoll set until that routine returns, so a long routine never stops the port
/// from accepting, refusing, enforcing deadlines or noticing disconnects. It does not wait on the epoll set
/// otherwise: two threads waiting there take turns on every message, and each turn is a thread switch
/// (a cross-CPU wake-up, about 45 us on this machine class).
///
/// Connections are registered edge-triggered (no `epoll_ctl` per message; see ``Connection`` for how two
/// serving threads stay out of each other's way); the listener is one-shot, re-armed after each batch.
///
/// # Thread safety
/// Mutable state lives in `state` (one lock); connections lock themselves. Event tokens carry a connection's
/// id, never a pointer, so an event that races with a connection's end finds nothing instead of freed memory.
final class PortEngine: @unchecked Sendable {
    enum ListenerState: Equatable {
        case armed
        case processing
        /// Not re-armed until the deadline (monotonic ns): accept failed for lack of descriptors or memory.
        case backingOff(until: Int64)
        case closed
    }

    struct State {
        var connections: [UInt64: Connection] = [:]
        var nextID: UInt64 = 1
        var handshakes = PendingHandshakes()
        /// At most one per connection (``Connection/frameDeadlineQueued``), soonest first; entries of closed
        /// connections wait for their deadline unless ``compactFrameDeadlinesLocked(_:)`` drops them first.
        var frameDeadlines = Heap<FrameDeadline>()
        var timerArmedFor: Int64?
        /// When to look whether large buffers stopped coming, so that the memory they freed can go back.
        var freedMemoryCheck: Int64?
        var lastLargeBuffer: Int64 = 0
        var listener = ListenerState.armed
        var listenerCloseRequested = false
        var acceptFailureLogged = false
        /// A connection was refused for the descriptor reserve since accepting last had room (logged once).
        var reserveRefusalLogged = false
    }

    /// When a connection's partial frame must be complete.
    struct FrameDeadline: Comparable {
        var deadline: Int64
        var id: UInt64
        static func < (a: FrameDeadline, b: FrameDeadline) -> Bool { a.deadline < b.deadline }
    }

    let configuration: ServerPortConfiguration
    let routines: ErasedRoutines
    let routineQueue: DispatchQueue
    let logger: Logger
    let epoll: Epoll
    let runner: RoutineRunner
    let watchdog: RoutineWatchdog
    let statistics = PortStatistics()
    let state = ConditionLock(State())
    /// Read by the loop threads after every batch, so kept out of the lock.
    private let stopping = Atomic<Bool>(false)
    /// epoll_wait is failing (logged once per stretch of failures).
    private let waitFailing = Atomic<Bool>(false)
    private let listenDescriptor: Int32
    private let wake: EventFD
    /// Raised by ``probe(_:)``; whichever thread serves I/O runs the waiting completions.
    private let probeEvent: EventFD
    private let probes = StateLock<[@Sendable () -> Void]>([])
    private let timer: TimerFD
    private let handshakeTimeoutNanoseconds: Int64
    private let frameTimeoutNanoseconds: Int64
    private let freedMemoryReturnDelay: Int64?
    /// Accepted descriptors from this number on are refused (``ServerPortConfiguration/reservedDescriptors``).
    private let firstReservedDescriptor: Int32
    private var threads: [PosixThread] = []

    init(
        configuration: ServerPortConfiguration,
        routines: ErasedRoutines,
        routineQueue: DispatchQueue,
        logger: Logger,
        listenDescriptor: Int32
    ) throws(SystemError) {
        self.configuration = configuration
        self.routines = routines
        self.routineQueue = routineQueue
        self.logger = logger
        self.listenDescriptor = listenDescriptor
        self.handshakeTimeoutNanoseconds = configuration.handshakeTimeout.nanoseconds
        self.frameTimeoutNanoseconds = configuration.frameTimeout.nanoseconds
        var limit = rlimit()
        let soft =
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
            ? Int(clamping: limit.rlim_cur) : Int(Int32.max)
        self.firstReservedDescriptor = Int32(clamping: max(0, soft - configuration.reservedDescriptors))
        self.freedMemoryReturnDelay = configuration.freedMemoryReturnDelay?.nanoseconds
        epoll = try Epoll()
        do {
            wake = try EventFD()
            probeEvent = try EventFD()
            timer = try TimerFD()
            watchdog = try RoutineWatchdog()
            runner = RoutineRunner(watchdog: watchdog)
            try epoll.addLevelTriggered(wake.fd, token: EpollToken.wake.rawValue)
            try epoll.addLevelTriggered(probeEvent.fd, token: EpollToken.probe.rawValue)
            try epoll.addLevelTriggered(timer.fd, token: EpollToken.timer.rawValue)
            try epoll.add(listenDescriptor, events: .readable, token: EpollToken.listener.rawValue)
        } catch {
            epoll.close()
            throw error
        }
    }

    /// Starts the loop and standby threads.
    func start() {
        threads = [
            PosixThread(name: "minifltd-io") { [self] in runLoop() },
            PosixThread(name: "minifltd-standby") { [self] in runStandby() },
        ]
    }

    private func runLoop() {
        let io = LoopBuffers()
        while serve(io, timeoutMilliseconds: -1) {
            runner.drain()
        }
    }

    /// Waits for the watchdog; while a routine runs long, serves I/O in the loop thread's place.
    private func runStandby() {
        let io = LoopBuffers()
        var descriptors = [
            pollfd(fd: watchdog.timer.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            _ = poll(&descriptors, 2, -1)
            if stopping.load(ordering: .acquiring) { return }
            guard descriptors[0].revents != 0, let stuck = watchdog.check() else { continue }
            logger.debug(
                "a routine has run for over \(RoutineWatchdog.interval / 1_000_000) ms; the standby thread serves I/O until it returns"
            )
            while watchdog.isInRoutine, watchdog.currentRoutine == stuck {
                guard serve(io, timeoutMilliseconds: Int32(RoutineWatchdog.interval / 1_000_000)) else { return }
                // Whoever queues work drains after: the loop thread may have left the runner just before
                // this batch queued an item, and would not look again until another event came.
                runner.drain()
            }
            watchdog.rest()
        }
    }

    /// One epoll_wait and the I/O of its events; false once the engine stops.
    private func serve(_ io: LoopBuffers, timeoutMilliseconds: Int32) -> Bool {
        let count: Int
        do {
            count = try epoll.wait(into: &io.events, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            // Never a reason to stop serving: the errors left once syscall() has trapped on descriptor bugs
            // and retried EINTR are the kernel's passing troubles. Wait a little and try again.
            if !waitFailing.exchange(true, ordering: .relaxed) {
                logger.error("epoll_wait failed: \(error); retrying every 10 ms (logged once)")
            }
            PosixThread.sleep(for: .milliseconds(10))
            return !stopping.load(ordering: .acquiring)
        }
        if waitFailing.load(ordering: .relaxed), waitFailing.exchange(false, ordering: .relaxed) {
            logger.notice("epoll_wait works again")
        }
        for event in io.events[0..<count] {
            dispatch(event, scratch: io.scratch)
        }
        return !stopping.load(ordering: .acquiring)
    }

    private func dispatch(_ event: CMiniFltPosix_EpollEvent, scratch: UnsafeMutableRawBufferPointer) {
        switch EpollToken(rawValue: event.data) {
        case .wake?, nil: return
        case .probe?: return answerProbes()
        case .timer?: return handleTimer()
        case .listener?: return handleListener()
        case .write(let id)?:
            connection(id)?.handleWritable()
        case .read(let id)?:
            let hangUp = Epoll.Events(rawValue: event.events).intersection([.readHangUp, .hangUp, .error])
            connection(id)?.handleReadable(hangUp: !hangUp.isEmpty, scratch: scratch)
        }
    }

    private func connection(_ id: UInt64) -> Connection? { state.withLock { $0.connections[id] } }

    // MARK: - Health

    /// Runs `completion` on whichever thread serves I/O next: it runs only while the I/O path makes progress.
    func probe(_ completion: @escaping @Sendable () -> Void) {
        probes.withLock { $0.append(completion) }
        probeEvent.signal()
    }

    private func answerProbes() {
        probeEvent.drain()
        for completion in probes.withLock({ probes in
            defer { probes = [] }
            return probes
        }) { completion() }
    }

    // MARK: - Registrations

    func addWrite(_ connection: Connection, descriptor: Int32) {
        do {
            try epoll.add(descriptor, events: .writable, token: EpollToken.write(connection: connection.id).rawValue)
        } catch {
            logger.error("cannot wait for the client's socket to drain: \(error); disconnecting it")
            shutdown(connection.fd, Int32(SHUT_RDWR))
        }
    }

    func rearmWrite(_ connection: Connection, descriptor: Int32) {
        try? epoll.rearm(descriptor, events: .writable, token: EpollToken.write(connection: connection.id).rawValue)
    }

    // MARK: - Listener

    private func handleListener() {
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
            if fd >= firstReservedDescriptor {
                refuseForReserve(fd)
                continue
            }
            admit(fd)
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
    private func admit(_ fd: Int32) {
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
        guard configuration.permissions.grants(.connect, to: peer) else {
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
            guard state.connections.count < configuration.maxConnections else { return .full }
            let id = state.nextID
            state.nextID += 1
            let connection = Connection(id: id, fd: fd, peer: peer, engine: self)
            state.connections[id] = connection
            state.reserveRefusalLogged = false
            var shed: Connection?
            if state.handshakes.count >= configuration.maxPendingHandshakes,
                let oldest = state.handshakes.oldestOfLargestShare()
            {
                state.handshakes.remove(oldest)
                shed = state.connections[oldest]
            }
            let deadline = MonotonicClock.now + handshakeTimeoutNanoseconds
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
                "connection refused: \(configuration.maxConnections) of \(configuration.maxConnections) connections in use"
            )
        case .admitted(let connection, let shed):
            if let shed, shed.endHandshake(sending: .insufficientResources, reason: "shed for a newer connection") {
                shed.log(
                    .notice,
                    .limitHit,
                    "\(configuration.maxPendingHandshakes) connections wait for CONNECT; ending the oldest of uid \(shed.peer.uid), which has the most, for a connection of uid \(peer.uid)",
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
                connection.handleReadable(hangUp: false, scratch: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            }
        }
    }

    /// Refuses a connection that would eat into the descriptor reserve, and says so once per stretch of them.
    private func refuseForReserve(_ fd: Int32) {
        let first = state.withLock { state in
            defer { state.reserveRefusalLogged = true }
            return !state.reserveRefusalLogged
        }
        if first {
            logger.event(
                .error,
                .limitHit,
                "refusing connections: only \(configuration.reservedDescriptors) descriptors are left, kept for the open watcher and the log (raise LimitNOFILE= or ulimit -n, or lower --max-connections and --max-pending-handshakes); logged once until one is accepted again",
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

    private func closeListenerLocked(_ state: inout State) {
        guard state.listener != .closed else { return }
        state.listener = .closed
        epoll.remove(listenDescriptor)
        closeDescriptor(listenDescriptor)
    }

    // MARK: - Handshakes, deadlines and slots

    /// A connection left the handshake (CONNECT arrived, or it closed before): its place is free.
    func handshakeFinished(_ connection: Connection) {
        state.withLock { _ = $0.handshakes.remove(connection.id) }
    }

    /// Watches the partial frame that `connection` began receiving at `since` (monotonic ns): the rest must
    /// come within the frame timeout. The caller won the connection's `frameDeadlineQueued` flag.
    func watchPartialFrame(_ connection: Connection, since: Int64) {
        state.withLock { state in
            let deadline = since + frameTimeoutNanoseconds
            state.frameDeadlines.insert(FrameDeadline(deadline: deadline, id: connection.id))
            scheduleTimerLocked(&state, at: deadline)
        }
    }

    // MARK: - Freed memory

    /// A read or write this large allocated buffers glibc keeps after they are freed (``MallocTuning``).
    static let largeBufferBytes = 64 << 10

    /// Notes a read or write of ``largeBufferBytes`` or more, or the end of a connection that made one: once
    /// none has come for the return delay, the timer gives freed memory back to the kernel. Not called for
    /// smaller messages, whose path stays as it was.
    func noteLargeBuffer() {
        guard let delay = freedMemoryReturnDelay else { return }
        let now = MonotonicClock.now
        state.withLock { state in
            state.lastLargeBuffer = now
            guard state.freedMemoryCheck == nil else { return }
            state.freedMemoryCheck = now + delay
            scheduleTimerLocked(&state, at: now + delay)
        }
    }

    /// At a freed-memory check: true when large buffers have stopped coming; else the check moves on.
    private func freedMemoryDueLocked(_ state: inout State, now: Int64) -> Bool {
        guard let delay = freedMemoryReturnDelay, let check = state.freedMemoryCheck, check <= now else { return false }
        if now - state.lastLargeBuffer >= delay {
            state.freedMemoryCheck = nil
            return true
        }
        state.freedMemoryCheck = state.lastLargeBuffer + delay
        return false
    }

    private func scheduleTimerLocked(_ state: inout State, at deadline: Int64) {
        if let armed = state.timerArmedFor, armed <= deadline { return }
        state.timerArmedFor = deadline
        timer.arm(afterNanoseconds: deadline - MonotonicClock.now)
    }

    private func handleTimer() {
        timer.drain()
        let (expired, stalled, returnFreedMemory) = state.withLock { state -> ([Connection], [Connection], Bool) in
            let now = MonotonicClock.now
            state.timerArmedFor = nil
            let returnFreedMemory = freedMemoryDueLocked(&state, now: now)
            let expired = state.handshakes.removeExpired(asOf: now).compactMap { state.connections[$0] }
            var stalled: [Connection] = []
            while let first = state.frameDeadlines.min, first.deadline <= now {
                state.frameDeadlines.removeMin()
                guard let connection = state.connections[first.id] else { continue }
                // Frames completed meanwhile: watch the partial frame waiting now, if any, until its own deadline.
                guard let since = connection.takeFrameDeadline() else { continue }
                let deadline = since + frameTimeoutNanoseconds
                if deadline <= now {
                    stalled.append(connection)
                } else {
                    state.frameDeadlines.insert(FrameDeadline(deadline: deadline, id: first.id))
                }
            }
            if case .backingOff(let until) = state.listener {
                if until <= now {
                    state.listener = .armed
                    try? epoll.rearm(listenDescriptor, events: .readable, token: EpollToken.listener.rawValue)
                } else {
                    scheduleTimerLocked(&state, at: until)
                }
            }
            if let next = state.handshakes.nextDeadline() { scheduleTimerLocked(&state, at: next) }
            if let next = state.frameDeadlines.min { scheduleTimerLocked(&state, at: next.deadline) }
            if let next = state.freedMemoryCheck { scheduleTimerLocked(&state, at: next) }
            return (expired, stalled, returnFreedMemory)
        }
        if returnFreedMemory {
            let start = MonotonicClock.now
            MallocTuning.returnFreedMemory()
            logger.debug(
                "large messages stopped: gave freed memory back to the kernel in \((MonotonicClock.now - start) / 1000) us"
            )
        }
        for connection in expired where connection.endHandshake(sending: .ioTimeout, reason: "handshake timeout") {
            logger.event(
                .notice,
                .handshakeTimeout,
                "no CONNECT within the handshake timeout of \(configuration.handshakeTimeout); disconnecting",
                peer: connection.peer,
                status: .ioTimeout
            )
        }
        for connection in stalled {
            connection.logLimitOnce(
                "frame-timeout",
                "a frame was not complete within the frame timeout of \(configuration.frameTimeout); disconnecting"
            )
            connection.requestClose(sending: .ioTimeout, reason: "frame timeout")
        }
    }

    /// Frees the connection's slot: called once, after its disconnect routine returned (or when none runs).
    func release(_ connection: Connection) {
        // The connection holds its client port and cookie, and they (the client port always, a cookie often)
        // hold the connection: drop them here, or every connection would outlive its release.
        let wasConnected = connection.state.withLock { state in
            defer {
                state.client = nil
                state.cookie = nil
            }
            return state.cookie != nil
        }
        state.withLock { state in
            guard state.connections.removeValue(forKey: connection.id) != nil else { return }
            if wasConnected { statistics.recordDisconnected() }
            compactFrameDeadlinesLocked(&state)
        }
        state.broadcast()
        // Its buffers go with it, possibly after the check that followed its last large read.
        if connection.movedLargeBuffers.load(ordering: .relaxed) { noteLargeBuffer() }
    }

    /// Drops the frame deadlines of closed connections once they outnumber the open ones: with a long frame
    /// timeout they would otherwise pile up under churn for as long as the timeout.
    private func compactFrameDeadlinesLocked(_ state: inout State) {
        guard state.frameDeadlines.count > 2 * state.connections.count + 32 else { return }
        let connections = state.connections
        state.frameDeadlines = Heap(state.frameDeadlines.unordered.filter { connections[$0.id] != nil })
    }

    /// Deadline entries held (handshakes, partial frames), live or stale: what the deadlines cost, for tests.
    var storedDeadlineCount: (handshakes: Int, frames: Int) {
        state.withLock { ($0.handshakes.storedEntryCount, $0.frameDeadlines.count) }
    }

    // MARK: - Shutdown

    /// Every connection currently open.
    var connections: [Connection] { state.withLock { Array($0.connections.values) } }

    /// Waits until no connection is left, or `deadline` (monotonic ns) passes; true when none is left.
    func waitForNoConnections(until deadline: Int64?) -> Bool {
        state.wait(until: deadline) { $0.connections.isEmpty ? true : nil } ?? false
    }

    /// Stops the loop threads and closes the engine's descriptors. Call after the connections are gone.
    func stop() {
        stopping.store(true, ordering: .releasing)
        state.withLock { state in
            closeListenerLocked(&state)
        }
        wake.signal()
        for thread in threads where !thread.isCurrent { thread.join() }
        threads = []
        wake.close()
        probeEvent.close()
        timer.close()
        watchdog.timer.close()
        epoll.close()
    }
}

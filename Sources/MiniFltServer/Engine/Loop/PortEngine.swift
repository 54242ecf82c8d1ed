// SPDX-License-Identifier: MIT
import CMiniFltPosix
import Dispatch
import HeapModule
import Logging
import MiniFltPosix
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The I/O side of a server port: one epoll instance, a loop thread and a standby thread.
///
/// This file is the loop: the threads, the epoll dispatch, the probes and the stop; the timer's event is in
/// `PortEngine+Timer.swift`, and what connections ask of the engine in `PortEngine+ConnectionHost.swift`. The
/// listener and admission are in `Admission/`, the deadlines in `Deadlines/`, each connection's own work in
/// `Connection/`. The loop calls into those rooms; `Admission/` arms the timer of `Deadlines/`, which reads
/// only connections' partial-frame clocks, and a connection reaches the engine only through ``ConnectionHost``.
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
    struct State {
        var connections: [UInt64: Connection] = [:]
        var nextID: UInt64 = 1
        var handshakes = PendingHandshakes()
        /// At most one per connection (``PartialFrameClock``), soonest first; entries of closed connections
        /// wait for their deadline unless ``compactFrameDeadlinesLocked(_:)`` drops them first.
        var frameDeadlines = Heap<FrameDeadline>()
        /// The deadlines of asynchronous FltSendMessage calls, soonest first; entries of replied messages stay
        /// until their deadline, those of closed connections until ``compactFrameDeadlinesLocked(_:)``.
        var messageDeadlines = Heap<MessageDeadline>()
        var timerArmedFor: Int64?
        /// When to look whether large buffers stopped coming, so that the memory they freed can go back.
        var freedMemoryCheck: Int64?
        var lastLargeBuffer: Int64 = 0
        var listener = ListenerState.armed
        var listenerCloseRequested = false
        var acceptFailureLogged = false
        /// A connection was refused for the descriptor reserve since accepting last had room (logged once).
        var reserveRefusalLogged = false
        /// Descriptors served alongside the port's own (``addSource(_:onReadable:)``), by id.
        var sources: [UInt64: @Sendable () -> Void] = [:]
    }

    /// As the port was made; admission reads ``admissionSettings`` instead, which may change.
    let configuration: ServerPortConfiguration
    let admissionSettings: StateLock<AdmissionSettings>
    let logger: Logger
    let epoll: Epoll
    let runner: RoutineRunner
    let watchdog: RoutineWatchdog
    let statistics = PortStatistics()
    let context: ConnectionContext
    let state = ConditionLock(State())
    /// Read by the loop threads after every batch, so kept out of the lock.
    private let stopping = Atomic<Bool>(false)
    /// epoll_wait is failing (logged once per stretch of failures).
    private let waitFailing = Atomic<Bool>(false)
    let listenDescriptor: Int32
    private let wake: EventFD
    /// Raised by ``probe(_:)``; whichever thread serves I/O runs the waiting completions.
    private let probeEvent: EventFD
    private let probes = StateLock<[@Sendable () -> Void]>([])
    let timer: TimerFD
    let handshakeTimeoutNanoseconds: Int64
    let frameTimeout: Duration
    let freedMemoryReturnDelay: Int64?
    /// Accepted descriptors from this number on are refused (``ServerPortConfiguration/reservedDescriptors``).
    let firstReservedDescriptor: Int32
    /// ``firstReservedDescriptor`` less the descriptors one read can bring (253; half of what the reserve
    /// leaves, when the limit is too low for that): descriptors held for routines stay below it, and so do
    /// accepted ones while a client passes descriptors (docs/protocol.md section 12, limits).
    let heldDescriptorLine: Int32
    private var threads: [PosixThread] = []

    init(
        configuration: ServerPortConfiguration,
        routines: ErasedRoutines,
        routineQueue: DispatchQueue,
        logger: Logger,
        listenDescriptor: Int32
    ) throws(SystemError) {
        self.configuration = configuration
        self.admissionSettings = StateLock(AdmissionSettings(configuration))
        self.logger = logger
        self.listenDescriptor = listenDescriptor
        self.handshakeTimeoutNanoseconds = configuration.handshakeTimeout.nanoseconds
        self.frameTimeout = configuration.frameTimeout
        var limit = rlimit()
        let soft =
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
            ? Int(clamping: limit.rlim_cur) : Int(Int32.max)
        self.firstReservedDescriptor = Int32(clamping: max(0, soft - configuration.reservedDescriptors))
        self.heldDescriptorLine =
            firstReservedDescriptor - min(Int32(PassedDescriptors.maximumPerFrame), firstReservedDescriptor / 2)
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
        context = ConnectionContext(
            configuration: configuration,
            heldDescriptorLine: heldDescriptorLine,
            logger: logger,
            routines: routines,
            routineQueue: routineQueue,
            runner: runner,
            statistics: statistics
        )
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
            runner.drain(io.lane)
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
            // EINTR is the only failure left for two descriptors of our own: look again.
            _ = injectable("poll") { poll(&descriptors, 2, -1) }
            if stopping.load(ordering: .acquiring) { return }
            guard descriptors[0].revents != 0, let stuck = watchdog.check() else { continue }
            logger.debug(
                "a routine has run for over \(RoutineWatchdog.interval / 1_000_000) ms; the standby thread serves I/O until it returns"
            )
            while watchdog.isInRoutine, watchdog.currentRoutine == stuck {
                guard serve(io, timeoutMilliseconds: Int32(RoutineWatchdog.interval / 1_000_000)) else { return }
                // Whoever queues work drains after: the loop thread may have let go of the runner just before
                // this batch queued an item, and would not look again until another event came.
                runner.drain(io.lane)
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
            dispatch(event, io)
        }
        return !stopping.load(ordering: .acquiring)
    }

    private func dispatch(_ event: CMiniFltPosix_EpollEvent, _ io: LoopBuffers) {
        switch EpollToken(rawValue: event.data) {
        case .wake?, nil: return
        case .probe?: return answerProbes()
        case .timer?: return handleTimer()
        case .listener?: return handleListener(io)
        case .source(let id)?:
            state.withLock { $0.sources[id] }?()
        case .write(let id)?:
            connection(id)?.handleWritable()
        case .read(let id)?:
            let hangUp = Epoll.Events(rawValue: event.events).intersection(.closing)
            connection(id)?.handleReadable(hangUp: !hangUp.isEmpty, scratch: io.scratch, lane: io.lane)
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

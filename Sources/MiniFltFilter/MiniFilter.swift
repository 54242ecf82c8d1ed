// SPDX-License-Identifier: MIT
import CMiniFltPosix
import MiniFltPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A file-system filter on fanotify: the Linux counterpart of a minifilter registered with FltRegisterFilter
/// (``init(_:)``), started with FltStartFiltering (``start()``) and unregistered with FltUnregisterFilter
/// (``stop()``). The library owns the fanotify group; the filter sees ``FileEvent``s and answers them with
/// ``reply(to:_:)`` (FltCompletePendedPreOperation), from any thread, in any order.
///
/// Guarantees: each permission event gets exactly one answer, from the filter, from its deadline
/// (``FilterRegistration/timeoutVerdict``), from the in-flight bound (``FilterRegistration/fullVerdict``,
/// on arrival), or from the shutdown (the group's close allows it); a later answer returns false and
/// touches nothing (events are keyed by a number never reused, not by their descriptor). The process's own
/// operations and those of exempt processes (``exempt(processID:)``: a filter's connected clients, which
/// may open files while they decide) are allowed without asking. On ``stop()`` the group is closed before
/// any thread is joined, so nothing waits on a filter that is going away; a filter process that dies
/// (SIGKILL included) closes the group with it, and every waiting operation proceeds.
///
/// Threads: a reader (poll on the group, reads events, calls ``FilterRegistration/preOperation``; or the
/// caller's event loop instead, with ``startWithoutReader()``), a deadline thread, and for tree targets a
/// thread that marks new directories. Needs CAP_SYS_ADMIN.
public final class MiniFilter: Sendable {
    private struct Core {
        var pending: PendingVerdicts<FileEvent>
        var stopping = false
        var started = false
    }

    public let registration: FilterRegistration
    public let statistics = FilterStatistics()
    private let group: FanotifyGroup
    private let cache: DecisionCache
    private let core: ConditionLock<Core>
    private let exemptions = StateLock<[Int32: Int]>([:])
    private let ownPID = getpid()
    private let wake: Int32
    private let tree: TreeWatcher?
    private let threads = StateLock<[PosixThread]>([])
    /// Held while events are read and admitted: admission checks the bound, then admits, and only one
    /// thread may do that at a time (a caller's loop may call ``readAvailableEvents()`` from two threads).
    /// It guards the buffers the events and their paths are read into.
    private let reading = StateLock(ReadScratch())

    /// Creates the fanotify group (FltRegisterFilter). Nothing is watched until ``start()``.
    /// - Throws: ``FilterError`` (EPERM without CAP_SYS_ADMIN; EINVAL for a registration that cannot work).
    public init(_ registration: FilterRegistration) throws(FilterError) {
        guard !registration.operations.isEmpty else {
            throw FilterError("register at least one operation", errno: EINVAL)
        }
        guard !registration.targets.isEmpty else {
            throw FilterError("give at least one target to watch", errno: EINVAL)
        }
        guard registration.maxInFlight >= 1 else { throw FilterError("maxInFlight must be at least 1", errno: EINVAL) }
        guard registration.deadline > .zero else { throw FilterError("the deadline must be positive", errno: EINVAL) }
        self.registration = registration
        let group = try FanotifyGroup()
        self.group = group
        cache = DecisionCache(group: group, operations: registration.operations)
        core = ConditionLock(Core(pending: PendingVerdicts(capacity: registration.maxInFlight)))
        wake = CMiniFltPosix_eventfd()
        guard wake >= 0 else {
            let number = errno
            closeDescriptor(group.fd)
            throw FilterError("eventfd failed: \(FilterError.strerror(number))", errno: number)
        }
        let needsTree = registration.targets.contains { if case .tree = $0 { true } else { false } }
        if needsTree {
            let operations = registration.operations
            let core = core
            do throws(FilterError) {
                tree = try TreeWatcher(statistics: statistics) { (path: [UInt8]) throws(SystemError) -> Void in
                    try core.withLock { (state: inout Core) throws(SystemError) -> Void in
                        guard !state.stopping else { return }
                        try group.markDirectory(path, operations: operations)
                    }
                }
            } catch {
                closeDescriptor(group.fd)
                closeDescriptor(wake)
                throw error
            }
        } else {
            tree = nil
        }
    }

    /// Marks the targets and starts answering (FltStartFiltering). A target that cannot be watched stops
    /// the start with an error that names it; marks already made stay until ``stop()``.
    public func start() throws(FilterError) {
        try start(readerThread: true)
    }

    /// ``start()`` without the reader thread: the caller's event loop watches ``eventDescriptor`` and calls
    /// ``readAvailableEvents()`` whenever it is readable. A server port's loop can do it
    /// (`ServerPort.serve(_:onReadable:)`): the thread that then sends each event to a client also reads the
    /// client's answer, which saves each verdict two thread switches on a busy CPU.
    public func startWithoutReader() throws(FilterError) {
        try start(readerThread: false)
    }

    /// The fanotify group: readable when events wait. Watch it only between ``startWithoutReader()`` and
    /// ``stop()``, which closes it.
    public var eventDescriptor: Int32 { group.fd }

    private func start(readerThread: Bool) throws(FilterError) {
        let first = core.withLock { state in
            defer { state.started = true }
            return !state.started && !state.stopping
        }
        guard first else { throw FilterError("the filter was already started or stopped", errno: EINVAL) }
        for target in registration.targets {
            if case .tree(let root) = target, let tree {
                try tree.add(root: root)
            } else {
                try group.mark(target, operations: registration.operations)
            }
        }
        var started = [PosixThread(name: "flt-deadline") { [self] in enforceDeadlines() }]
        if readerThread { started.append(PosixThread(name: "flt-reader") { [self] in readEvents() }) }
        if let tree { started.append(PosixThread(name: "flt-tree") { [self] in followTree(tree) }) }
        threads.withLock { $0 = started }
    }

    /// Stops filtering (FltUnregisterFilter): closes the group first, which allows every operation still
    /// waiting, then joins the threads. Answers after this return false.
    public func stop() {
        let wasRunning = core.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.stopping = true
            _ = state.pending.drain()
            closeDescriptor(group.fd)
            return true
        }
        guard wasRunning else { return }
        core.broadcast()
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
        for thread in threads.withLock({ $0 }) { thread.join() }
        cache.close()
        tree?.close()
        closeDescriptor(wake)
    }

    deinit { stop() }

    /// Answers a permission event (FltCompletePendedPreOperation). Allowed files go into the decision cache
    /// (when ``FilterRegistration/cacheAllowed``) before the answer is sent, unless `remember` is false: an
    /// allow that no decision stands behind (the filter's service timed out or failed) must not spare the
    /// file its next question. Returns false, and does nothing, when the event was already answered: by its
    /// deadline, by an earlier reply, or by the shutdown.
    @discardableResult
    public func reply(to event: FileEvent, _ verdict: FilterVerdict, remember: Bool = true) -> Bool {
        let sent = core.withLock { state -> Bool in
            guard !state.stopping, let answer = state.pending.answer(event.id, verdict) else { return false }
            if verdict == .allow, remember, registration.cacheAllowed,
                cache.insert(descriptor: answer.payload.descriptor, operation: answer.payload.operation)
            {
                statistics.cached.add(1, ordering: .relaxed)
            }
            group.respond(descriptor: answer.payload.descriptor, verdict)
            return true
        }
        if sent {
            statistics.answered.add(1, ordering: .relaxed)
        } else {
            statistics.lateAnswers.add(1, ordering: .relaxed)
        }
        return sent
    }

    /// Allows `processID`'s operations without asking, until ``removeExemption(processID:)`` (counted: two
    /// exemptions of one process need two removals). For the filter's clients, which may open watched files
    /// while they decide: asking them about their own opens would deadlock.
    ///
    /// A process ID of 0 (or below) is never exempt: it is how the kernel names a process outside this
    /// process's PID namespace, both in fanotify events and in a peer's credentials, so it stands for any
    /// number of unknown processes, never for one client.
    public func exempt(processID: Int32) {
        guard processID > 0 else { return }
        exemptions.withLock { $0[processID, default: 0] += 1 }
    }

    public func removeExemption(processID: Int32) {
        guard processID > 0 else { return }
        exemptions.withLock { table in
            guard let count = table[processID] else { return }
            table[processID] = count > 1 ? count - 1 : nil
        }
    }

    /// Forgets every cached decision: each file is asked about again at its next operation. Call it when
    /// what decides changes (a client connects or leaves, its rules change). Answers wait meanwhile.
    public func flushCache() {
        core.withLock { state in
            guard !state.stopping else { return }
            cache.flush()
        }
        statistics.cacheFlushes.add(1, ordering: .relaxed)
    }

    /// Files in the decision cache now.
    public var cachedFiles: Int { cache.count }

    /// Permission events waiting for the filter now.
    public var inFlight: Int { core.withLock { $0.pending.count } }

    /// Directories watched for tree targets now.
    public var treeDirectories: Int { tree?.directoryCount ?? 0 }

    // MARK: - Threads

    private func readEvents() {
        var descriptors = [
            pollfd(fd: group.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            _ = poll(&descriptors, 2, -1)
            guard readAvailableEvents() else { return }
        }
    }

    /// Reads the events waiting now and hands each to the registration's callbacks, on the calling thread.
    /// Returns false once the filter is stopped. For an event loop of the caller's
    /// (``startWithoutReader()``); callers on several threads take turns.
    @discardableResult
    public func readAvailableEvents() -> Bool {
        reading.withLock { scratch in
            // Read under the lock: stop() closes the group under it, so the descriptor is never stale here.
            let read = core.withLock { state -> Result<Int, SystemError>? in
                guard !state.stopping else { return nil }
                do throws(SystemError) {
                    return .success(try group.read(into: scratch.events))
                } catch {
                    return .failure(error)
                }
            }
            guard let read else { return false }
            guard case .success(let count) = read else {
                // No descriptor or memory for an event: the kernel denied the one it could not hand over, and
                // the rest wait in its queue. Try again shortly rather than spin on a readable group.
                statistics.readErrors.add(1, ordering: .relaxed)
                PosixThread.sleep(for: .milliseconds(10))
                return true
            }
            for slot in scratch.events.prefix(count) { handle(FanotifyGroup.RawEvent(slot), pathBuffer: scratch.path) }
            return true
        }
    }

    private func handle(_ raw: FanotifyGroup.RawEvent, pathBuffer: UnsafeMutableBufferPointer<CChar>) {
        guard let operation = FilterOperation(mask: raw.mask) else { return closeDescriptor(raw.descriptor) }
        guard operation.isPermission else {
            statistics.notifications.add(1, ordering: .relaxed)
            return registration.postOperation(makeEvent(raw, operation, pathBuffer))
        }
        // pid 0: a process outside this PID namespace, unknown; never this process nor a client.
        if raw.pid > 0 && (raw.pid == ownPID || exemptions.withLock({ $0[raw.pid] != nil })) {
            respondOnce(raw.descriptor, .allow)
            closeDescriptor(raw.descriptor)
            statistics.exempt.add(1, ordering: .relaxed)
            return
        }
        // Only the thread holding `reading` admits, so a bound that is not full now stays so until it admits.
        if core.withLock({ $0.pending.isFull }) {
            respondOnce(raw.descriptor, registration.fullVerdict)
            statistics.full.add(1, ordering: .relaxed)
            registration.answered(
                makeEvent(raw, operation, pathBuffer),
                registration.fullVerdict,
                .full
            )
            return
        }
        let path = FanotifyGroup.path(of: raw.descriptor, buffer: pathBuffer)
        let deadline = MonotonicClock.now + registration.deadline.nanoseconds
        var admitted: FileEvent?
        let admission = core.withLock { state in
            state.stopping
                ? .full
                : state.pending.admit(deadline: deadline) { id in
                    let event = FileEvent(
                        id: id,
                        operation: operation,
                        pid: raw.pid,
                        path: path,
                        descriptor: raw.descriptor,
                        deadline: deadline
                    )
                    admitted = event
                    return event
                }
        }
        guard case .pending = admission, let event = admitted else { return closeDescriptor(raw.descriptor) }
        statistics.asked.add(1, ordering: .relaxed)
        registration.preOperation(event)
    }

    /// Answers an event that never entered the table, unless the group is closing.
    private func respondOnce(_ descriptor: Int32, _ verdict: FilterVerdict) {
        core.withLock { state in
            if !state.stopping { group.respond(descriptor: descriptor, verdict) }
        }
    }

    /// An event that is not waiting for an answer (a notification, or one answered on arrival), keyed 0.
    private func makeEvent(
        _ raw: FanotifyGroup.RawEvent,
        _ operation: FilterOperation,
        _ pathBuffer: UnsafeMutableBufferPointer<CChar>
    ) -> FileEvent {
        FileEvent(
            id: FileEventID(rawValue: 0),
            operation: operation,
            pid: raw.pid,
            path: FanotifyGroup.path(of: raw.descriptor, buffer: pathBuffer),
            descriptor: raw.descriptor
        )
    }

    /// Answers events whose deadline passed. Every event waits the same duration, so a deadline is never
    /// earlier than those of events admitted before it: the thread sleeps until the earliest deadline, or,
    /// with nothing pending, for one duration (any event admitted meanwhile is due after that). So an
    /// admission never has to wake it, which would cost each open a context switch.
    private func enforceDeadlines() {
        let verdict = registration.timeoutVerdict
        let idle = registration.deadline.nanoseconds
        while true {
            let wakeAt = core.withLock { state -> Int64? in
                state.stopping ? nil : state.pending.nextDeadline() ?? MonotonicClock.now + idle
            }
            guard let wakeAt else { return }
            let expired: [PendingVerdicts<FileEvent>.Answer]? = core.wait(until: wakeAt) { state in
                if state.stopping { return [] }
                guard MonotonicClock.now >= wakeAt else { return nil }
                let answers = state.pending.expire(now: MonotonicClock.now, verdict: verdict)
                for answer in answers { group.respond(descriptor: answer.payload.descriptor, verdict) }
                return answers
            }
            if core.withLock({ $0.stopping }) { return }
            for answer in expired ?? [] {
                statistics.timeouts.add(1, ordering: .relaxed)
                registration.answered(answer.payload, verdict, .timedOut)
            }
        }
    }

    private func followTree(_ tree: TreeWatcher) {
        var descriptors = [
            pollfd(fd: tree.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            _ = poll(&descriptors, 2, -1)
            if descriptors[1].revents != 0 { return }
            tree.drain()
        }
    }
}

// SPDX-License-Identifier: MIT
package import MiniFltWire

/// The calls waiting on one ``FilterPort``, and the reader role: who reads the socket for all of them.
///
/// No thread is dedicated to reading. A blocked call reads for everyone while no other thread does (it holds
/// the reader role), files each frame with the call it is for, and wakes only that call (``Sleeper``). The
/// rules that keep every call served:
/// - A call sleeps only while another thread holds the role.
/// - A reader whose own value has come hands the role, still held, to the thread that has slept longest:
///   the role is never free while a thread sleeps, so nothing sleeps with nobody reading, and each value that
///   comes is filed by a reader that wakes its call if it sleeps. Only when nobody sleeps is the role let go.
/// - Messages go to the get calls, sync and async alike, oldest message to the call that has waited longest;
///   a call whose buffer is too small for the oldest message fails with 0x8007007A, and the message goes on
///   to the next call.
/// - A failed or closed connection wakes every call, which then fails with the failure.
///
/// Its methods run with the port's lock held and collect what to wake in ``Wakes``, which wakes them once the
/// lock is released.
package struct WaitingCalls {
    /// A FilterGetMessage waiting for a message: a blocked thread, or a suspended `message(bufferSize:)`.
    package enum GetCall {
        case thread(Waiter<Result<FilterMessage, FilterPortError>>, bufferSize: Int)
        case task(AsyncGet)
    }

    /// One suspended `message(bufferSize:)`.
    package struct AsyncGet {
        let id: UInt64
        let bufferSize: Int
        let continuation: CheckedContinuation<Result<FilterMessage, FilterPortError>, Never>
    }

    /// A SEND's result: the status, the output, and the descriptors or the error saying the kernel dropped
    /// them.
    package typealias SendOutcome = (NTStatus, [UInt8], Result<PassedDescriptors?, FilterPortError>)

    /// Get calls, oldest first.
    package private(set) var gets: [GetCall] = []
    /// MESSAGEs received while no get call waited, oldest first.
    package private(set) var messages: [FilterMessage] = []
    /// SENDs waiting for their SEND_RESULT, by message id.
    package var sends: [UInt64: Waiter<SendOutcome>] = [:]
    package var nextID: UInt64 = 1
    /// REPLYs waiting for their REPLY_RESULT, by message id.
    package var replies: [UInt64: Waiter<NTStatus>] = [:]
    /// Threads asleep (or about to be), the longest asleep first.
    package private(set) var sleepers: [Sleeper] = []
    /// A thread holds the reader role (its sleeper's `holdsReaderRole`).
    private var readerActive = false
    /// Set once the connection is over; every later call fails with it.
    package private(set) var failure: FilterPortError?
    package var nextAsyncGet: UInt64 = 1
    /// A thread reads the socket for the suspended calls (no blocked caller would otherwise).
    package var asyncReaderRunning = false

    package init() {}

    /// Threads to wake and suspended calls to resume, once the port's lock is released.
    package struct Wakes {
        private var threads: [Sleeper] = []
        private var tasks: [@Sendable () -> Void] = []

        package init() {}

        /// The threads to wake, in order.
        package var sleepers: [Sleeper] { threads }

        package mutating func append(_ sleeper: Sleeper) { threads.append(sleeper) }
        package mutating func append(_ resume: @escaping @Sendable () -> Void) { tasks.append(resume) }

        /// Wakes and resumes them; lock not held.
        package mutating func give() {
            guard !threads.isEmpty || !tasks.isEmpty else { return }
            for thread in threads { thread.wake() }
            for resume in tasks { resume() }
            threads.removeAll(keepingCapacity: true)
            tasks.removeAll(keepingCapacity: true)
        }
    }

    /// What a blocked thread whose value has not come does next.
    package enum Next {
        /// Read one frame for every call: it holds the reader role.
        case read
        /// Sleep until woken: another thread holds the role, and files what comes.
        case sleep
    }

    // MARK: - The reader role

    /// Takes the reader role for `sleeper` if it holds it or nobody does; else puts it on the sleepers.
    package mutating func proceed(_ sleeper: Sleeper) -> Next {
        if sleeper.holdsReaderRole { return .read }
        if !readerActive {
            readerActive = true
            sleeper.holdsReaderRole = true
            return .read
        }
        sleeper.prepareToSleep()
        sleeper.asleep = true
        sleepers.append(sleeper)
        return .sleep
    }

    /// `sleeper`'s thread stops blocking: a role it holds goes to the longest sleeper, or is let go when
    /// nobody sleeps (or the connection is over, when every sleeper is woken anyway).
    package mutating func leave(_ sleeper: Sleeper, _ wakes: inout Wakes) {
        guard sleeper.holdsReaderRole else { return }
        sleeper.holdsReaderRole = false
        guard failure == nil, !sleepers.isEmpty else {
            readerActive = false
            return
        }
        let next = sleepers.removeFirst()
        next.asleep = false
        next.holdsReaderRole = true
        wakes.append(next)
    }

    /// Wakes `sleeper` if it is asleep; a thread awake sees its value when it next looks.
    private mutating func wake(_ sleeper: Sleeper, _ wakes: inout Wakes) {
        guard sleeper.asleep, let index = sleepers.firstIndex(where: { $0 === sleeper }) else { return }
        sleepers.remove(at: index)
        sleeper.asleep = false
        wakes.append(sleeper)
    }

    // MARK: - Filing

    /// Files a SEND_RESULT with its SEND; one nobody waits for any more is dropped (its descriptors close).
    package mutating func file(sendResult outcome: SendOutcome, id: UInt64, _ wakes: inout Wakes) {
        guard let waiter = sends.removeValue(forKey: id) else { return }
        waiter.value = outcome
        wake(waiter, &wakes)
    }

    /// Files a REPLY_RESULT with its REPLY; one nobody waits for any more is dropped.
    package mutating func file(replyResult status: NTStatus, id: UInt64, _ wakes: inout Wakes) {
        guard let waiter = replies.removeValue(forKey: id) else { return }
        waiter.value = status
        wake(waiter, &wakes)
    }

    /// Files a MESSAGE with the get call that has waited longest, or queues it for the next.
    package mutating func file(message: FilterMessage, _ wakes: inout Wakes) {
        messages.append(message)
        settleGets(&wakes)
    }

    /// Adds a get call: it takes a queued message at once, or waits its turn.
    package mutating func add(_ get: GetCall, _ wakes: inout Wakes) {
        gets.append(get)
        settleGets(&wakes)
    }

    /// Takes the suspended call `id` off the queue (it was cancelled); nil when it has been answered.
    package mutating func removeAsyncGet(_ id: UInt64) -> AsyncGet? {
        guard
            let index = gets.firstIndex(where: {
                if case .task(let get) = $0 { get.id == id } else { false }
            }),
            case .task(let get) = gets.remove(at: index)
        else { return nil }
        return get
    }

    /// Some `message(bufferSize:)` is suspended.
    package var hasAsyncGets: Bool {
        gets.contains {
            if case .task = $0 { true } else { false }
        }
    }

    /// Hands queued messages to get calls, oldest to oldest (or the connection's end to all of them).
    private mutating func settleGets(_ wakes: inout Wakes) {
        if let failure {
            let ended = gets
            gets = []
            for get in ended { answer(get, .failure(failure), &wakes) }
            return
        }
        while let get = gets.first, let taken = takeMessage(bufferSize: get.bufferSize) {
            gets.removeFirst()
            answer(get, taken, &wakes)
        }
    }

    private mutating func answer(_ get: GetCall, _ result: Result<FilterMessage, FilterPortError>, _ wakes: inout Wakes)
    {
        switch get {
        case .thread(let waiter, _):
            waiter.value = result
            wake(waiter, &wakes)
        case .task(let get):
            wakes.append { get.continuation.resume(returning: result) }
        }
    }

    /// The oldest queued message if it fits `bufferSize` (header included), taken off the queue; the
    /// insufficient-buffer error if it does not (it stays queued); nil when none is queued.
    private mutating func takeMessage(bufferSize: Int) -> Result<FilterMessage, FilterPortError>? {
        guard let first = messages.first else { return nil }
        guard FilterMessage.headerSize + first.bytes.count <= bufferSize else {
            return .failure(
                FilterPortError(
                    .insufficientBuffer,
                    "the message is \(first.bytes.count) bytes and a \(FilterMessage.headerSize)-byte header; a buffer of \(bufferSize) bytes cannot take it (it stays queued)"
                )
            )
        }
        messages.removeFirst()
        return .success(first)
    }

    // MARK: - The end

    /// Ends the connection with `error` unless it has ended already, and wakes every call to fail with it.
    package mutating func fail(_ error: FilterPortError, _ wakes: inout Wakes) {
        if failure == nil { failure = error }
        settleGets(&wakes)
        for sleeper in sleepers {
            sleeper.asleep = false
            wakes.append(sleeper)
        }
        sleepers = []
        sends = [:]
        replies = [:]
    }
}

extension WaitingCalls.GetCall {
    fileprivate var bufferSize: Int {
        switch self {
        case .thread(_, let bufferSize): bufferSize
        case .task(let get): get.bufferSize
        }
    }
}

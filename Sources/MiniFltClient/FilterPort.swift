// SPDX-License-Identifier: MIT
import MiniFltPosix
public import MiniFltWire

#if canImport(Glibc)
import Glibc
#endif

/// A client's connection to a communication port: the handle FilterConnectCommunicationPort returns.
///
/// ```swift
/// let port = try FilterPort.connect(to: "\\MiniFilterPort_Example")
/// let reply = try port.send(request, outputCapacity: 4096)
/// port.close()
/// ```
///
/// # Thread safety
/// One connection may be shared by any number of threads, each with sends outstanding; results are matched
/// to their sends by message id. No thread is dedicated to reading: a thread that waits for its result reads
/// the socket for everyone until its own result arrives, then hands the role to another waiter, so a lone
/// caller pays no thread switch. Each frame wakes only the call it is for (WaitingCalls.swift).
public final class FilterPort: Sendable {
    /// The port's name as given to ``connect(to:options:)``.
    public let name: PortName
    /// The wide-character layout announced in CONNECT.
    public let wcharSize: WideCharacterSize
    /// The pid and uid of the process that listens at the port's address (SO_PEERCRED).
    public let server: (pid: Int32, uid: UInt32)

    private let fd: Int32
    private let maxMessageSize: Int
    /// CONNECT carried `FLT_PORT_FLAG_DESCRIPTORS` (docs/protocol.md section 12).
    private let acceptsDescriptors: Bool
    /// The socket, for writing: one frame at a time goes through this lock. (It guards the descriptor rather
    /// than nothing: ThreadSanitizer misreads an `inout` access to a zero-sized state as a race.)
    private let writer: ConditionLock<Int32>
    /// The calls waiting on this handle and the reader role; who wakes whom is WaitingCalls's. Only its mutex
    /// is used: each blocked thread sleeps on a wake-up of its own (Sleeper.swift), not on its condition.
    private let shared = ConditionLock(WaitingCalls())
    private let reader: Reader

    /// The read side: touched only by the thread that holds the reader role (``WaitingCalls``), which is
    /// handed over under `shared`'s lock.
    private final class Reader: @unchecked Sendable {
        var decoder: FrameDecoder
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        /// Descriptors received and not yet taken by a frame, oldest first (docs/protocol.md section 12).
        var descriptors = ReceivedDescriptors()
        init(maxMessageSize: Int, acceptsDescriptors: Bool) {
            decoder = FrameDecoder(role: .client, maximumBodyLength: maxMessageSize + 16)
            decoder.acceptsDescriptors = acceptsDescriptors
        }
        func closeDescriptors() { descriptors.closeAll() }
        deinit {
            scratch.deallocate()
            closeDescriptors()
        }
    }

    private init(
        name: PortName,
        wcharSize: WideCharacterSize,
        server: (Int32, UInt32),
        fd: Int32,
        maxMessageSize: Int,
        reader: Reader
    ) {
        self.name = name
        self.wcharSize = wcharSize
        self.server = server
        self.fd = fd
        self.writer = ConditionLock(fd)
        self.maxMessageSize = maxMessageSize
        self.reader = reader
        self.acceptsDescriptors = reader.decoder.acceptsDescriptors
    }

    deinit { closeDescriptor(fd) }

    /// Connects to the port named `name`; mirrors `FilterConnectCommunicationPort`.
    ///
    /// - Throws: ``FilterPortError`` with fltlib's HRESULT: 0x8007007B for a name that is not a port name,
    ///   0x80070002 when nothing listens, 0x80070274 when the listener is neither root nor the expected uid,
    ///   0x80070005 when the permission descriptor refuses this process, 0x800704D6 at the connection limit,
    ///   or the HRESULT of the connect routine's failure status.
    public static func connect(
        to name: String,
        options: ConnectOptions = ConnectOptions()
    ) throws(FilterPortError) -> FilterPort {
        let portName: PortName
        do {
            portName = try PortName(name)
        } catch {
            throw FilterPortError(.invalidName, "\(error)")
        }
        guard options.context.count <= ConnectRequest.maximumContextLength else {
            throw .invalidArgument("the connection context is \(options.context.count) bytes; at most 65535 fit")
        }
        guard options.wcharSize != .unsupported else { throw .invalidArgument("wchar size must be 2 or 4") }

        let fd: Int32
        do {
            if let path = portName.socketPath {
                fd = try SocketFile.connect(to: path)
            } else {
                fd = try AbstractSocket.connect(to: portName.addressBytes)
            }
        } catch {
            switch error.errno {
            case ECONNREFUSED, ENOENT:
                throw FilterPortError(
                    .fileNotFound,
                    "no port \(name) is listening at \(portName.address); is minifltd running with --port '\(name)'?"
                )
            case EACCES:
                throw FilterPortError(
                    .accessDenied,
                    "the socket file \(portName.address) (or its directory) does not let this user connect; ask its admin"
                )
            case EAGAIN:
                throw FilterPortError(
                    .insufficientResources,
                    "the port \(name) has too many connections waiting to be accepted; try again"
                )
            default:
                throw FilterPortError(.generalFailure, "cannot connect to \(portName.address): \(error)")
            }
        }
        do {
            return try handshake(fd: fd, name: portName, options: options)
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    private static func handshake(
        fd: Int32,
        name: PortName,
        options: ConnectOptions
    ) throws(FilterPortError) -> FilterPort {
        let credentials: (pid: Int32, uid: UInt32, gid: UInt32)
        do {
            credentials = try AbstractSocket.peerCredentials(of: fd)
        } catch {
            throw FilterPortError(
                .invalidHandle,
                "cannot read the credentials of the process at \(name.address): \(error)"
            )
        }
        guard credentials.uid == 0 || credentials.uid == options.expectedServerUID else {
            let expected = options.expectedServerUID.map { "root or uid \($0)" } ?? "root"
            throw FilterPortError(
                .serverIdentityMismatch,
                "the process listening at \(name.address) (pid \(credentials.pid)) runs as uid \(credentials.uid), not \(expected): it is not the port's server, so nothing was sent to it. Stop that process, or pass its uid as the expected server uid if it is trusted"
            )
        }
        let request = Frame.connect(
            ConnectRequest(wcharSize: options.wcharSize, options: options.options, context: options.context)
        )
        // A refusal may already be queued and the socket closed (EPIPE): the CONNECT_RESULT is still readable.
        _ = try? AbstractSocket.sendAll(fd, request.encoded())

        let reader = Reader(
            maxMessageSize: 1 << 26,
            acceptsDescriptors: options.options & ConnectRequest.descriptorsOption != 0
        )
        setReceiveTimeout(fd, options.handshakeTimeout)
        defer { setReceiveTimeout(fd, nil) }
        let frame: Frame?
        do {
            frame = try readFrame(fd: fd, reader: reader, port: name).frame
        } catch let error as SystemError where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            throw FilterPortError(
                .waitTimeout,
                "the port \(name) did not answer CONNECT within \(options.handshakeTimeout)"
            )
        } catch {
            throw FilterPortError(.invalidHandle, "the connection to \(name) failed during the handshake: \(error)")
        }
        switch frame {
        case .connectResult(let status) where status == .success:
            return FilterPort(
                name: name,
                wcharSize: options.wcharSize,
                server: (credentials.pid, credentials.uid),
                fd: fd,
                maxMessageSize: options.maxMessageSize,
                reader: reader
            )
        case .connectResult(let status), .disconnect(let status):
            throw .server(status, port: name.name, during: "FilterConnectCommunicationPort")
        case nil:
            throw FilterPortError(.invalidHandle, "the port \(name) closed the connection during the handshake")
        case .some(let other):
            throw FilterPortError(
                .invalidHandle,
                "the port \(name) answered CONNECT with \(other.type) instead of CONNECT_RESULT"
            )
        }
    }

    /// Sends `input` to the port's message routine and returns its output; mirrors `FilterSendMessage`.
    ///
    /// - Parameters:
    ///   - input: the input bytes; empty stands for a NULL input buffer.
    ///   - outputCapacity: the size of the caller's output buffer; 0 for a NULL output buffer.
    /// - Returns: the output bytes (their count is FilterSendMessage's returned length).
    /// - Throws: ``FilterPortError``: the HRESULT of any status other than `STATUS_SUCCESS` (warnings included),
    ///   0x80070006 once the connection is closed, 0x80070057 for arguments the wire cannot carry.
    public func send(_ input: [UInt8], outputCapacity: Int) throws(FilterPortError) -> [UInt8] {
        // The result's descriptors, or their loss, are not this caller's concern: they close with the result.
        try exchange(input, descriptors: nil, outputCapacity: outputCapacity).output
    }

    /// ``send(_:outputCapacity:)`` with descriptors for the message routine, and the descriptors of its result
    /// (docs/protocol.md section 12); the port must be connected with `FLT_PORT_FLAG_DESCRIPTORS`.
    ///
    /// Ownership: `descriptors` is consumed, closed once sent (the server gets duplicates) or when the call
    /// fails, refused ones included; pass ``MiniFltWire/PassedDescriptors/duplicating(_:)`` of one you keep.
    /// The returned descriptors are the caller's (closed when the object goes, unless taken).
    /// - Throws: as ``send(_:outputCapacity:)``; 0x80070057 for descriptors on a port connected without the
    ///   option, or more than 253 (nothing is sent); 0x80070004 when the result's descriptors did not reach
    ///   this process because it was at its descriptor limit (RLIMIT_NOFILE): the routine ran, and its output
    ///   is not returned (libfltlib returns it); the connection stays.
    public func send(
        _ input: [UInt8],
        descriptors: PassedDescriptors?,
        outputCapacity: Int
    ) throws(FilterPortError) -> (output: [UInt8], descriptors: PassedDescriptors?) {
        let (output, received) = try exchange(input, descriptors: descriptors, outputCapacity: outputCapacity)
        return (output, try received.get())
    }

    /// A SEND and its SEND_RESULT: the output, and the result's descriptors or the error saying the kernel
    /// dropped them.
    private func exchange(
        _ input: [UInt8],
        descriptors: PassedDescriptors?,
        outputCapacity: Int
    ) throws(FilterPortError) -> (output: [UInt8], descriptors: Result<PassedDescriptors?, FilterPortError>) {
        defer { descriptors?.close() }
        let attached = try checkAttachable(descriptors)
        guard outputCapacity >= 0, outputCapacity <= Int(UInt32.max) else {
            throw .invalidArgument("output capacity \(outputCapacity) is out of range (0 to 4294967295)")
        }
        guard input.count + 4 <= maxMessageSize else {
            throw .invalidArgument(
                "the input is \(input.count) bytes; the port takes at most \(maxMessageSize - 4) bytes per message (ConnectOptions.maxMessageSize)"
            )
        }
        let waiter = Waiter<WaitingCalls.SendOutcome>()
        let id = try shared.withLock { calls throws(FilterPortError) -> UInt64 in
            if let failure = calls.failure { throw FilterPortError(.invalidHandle, failure.message) }
            let id = calls.nextID
            calls.nextID += 1
            calls.sends[id] = waiter
            return id
        }
        let frame = Frame.send(id: id, outputCapacity: UInt32(outputCapacity), input: input)
            .encoded(descriptorCount: attached.count)
        // A write that fails means the connection ended; the read side reports why.
        writer.withLock { fd in _ = try? AbstractSocket.sendAll(fd, frame, descriptors: attached) }
        descriptors?.close()
        let (status, output, received) = try wait(for: waiter)
        guard status == .success else { throw .server(status, port: name.name, during: "FilterSendMessage") }
        return (output, received)
    }

    /// Closes the handle; mirrors `FilterClose`. Calls waiting on it fail with 0x80070006, and so does every
    /// later call. The server runs its disconnect routine.
    public func close() {
        var wakes = WaitingCalls.Wakes()
        shared.withLock { $0.fail(FilterPortError(.invalidHandle, "the handle to \(name) is closed"), &wakes) }
        // Wakes a thread blocked in recv on this handle; ENOTCONN once the server has gone changes nothing.
        try? DescriptorCalls.shutdown(fd, .readWrite)
        wakes.give()
    }

    /// FilterGetMessage for Swift concurrency: suspends the task, not a thread, until a message comes.
    ///
    /// Behaves as ``getMessage(bufferSize:)``: each message goes to exactly one waiting call, sync or async;
    /// a buffer too small fails with 0x8007007A and keeps the message. A cancelled task's call ends with
    /// `HRESULT_FROM_WIN32(ERROR_CANCELLED)` (0x800704C7) and takes no message.
    public func message(bufferSize: Int) async throws(FilterPortError) -> FilterMessage {
        let id = shared.withLock { calls in
            defer { calls.nextAsyncGet += 1 }
            return calls.nextAsyncGet
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<FilterMessage, FilterPortError>, Never>) in
                var wakes = WaitingCalls.Wakes()
                let startReader = shared.withLock { calls -> Bool in
                    // Checked under the lock the cancellation handler takes, so neither misses the other.
                    if Task.isCancelled {
                        wakes.append { continuation.resume(returning: .failure(FilterPort.cancelled)) }
                        return false
                    }
                    let get = WaitingCalls.AsyncGet(id: id, bufferSize: bufferSize, continuation: continuation)
                    calls.add(.task(get), &wakes)
                    let start = calls.hasAsyncGets && !calls.asyncReaderRunning
                    if start { calls.asyncReaderRunning = true }
                    return start
                }
                wakes.give()
                if startReader { startAsyncReader() }
            }
        } onCancel: {
            let get = shared.withLock { $0.removeAsyncGet(id) }
            get?.continuation.resume(returning: .failure(FilterPort.cancelled))
        }
        return try result.get()
    }

    private static let cancelled = FilterPortError(.cancelled, "the FilterGetMessage call was cancelled")

    /// Reads for suspended calls while there are any and no blocked caller's thread holds the reader role.
    private func startAsyncReader() {
        PosixThread(name: "filterport-read") { [self] in
            block(Sleeper()) { calls -> Void? in
                guard !calls.hasAsyncGets || calls.failure != nil else { return nil }
                calls.asyncReaderRunning = false
                return ()
            }
        }.detach()
    }

    /// Receives the next message the filter sent (FltSendMessage); mirrors `FilterGetMessage`.
    ///
    /// - Parameter bufferSize: the size of the caller's buffer, header included: the message fits when
    ///   `16 + message bytes <= bufferSize`.
    /// - Returns: the message, with the FILTER_MESSAGE_HEADER fields.
    /// - Throws: ``FilterPortError``: 0x8007007A when the buffer is too small (the message stays queued for
    ///   the next call), 0x80070006 once the connection is closed.
    ///
    /// # Thread safety
    /// Several threads may wait at once; each message goes to exactly one of them (or of the suspended
    /// ``message(bufferSize:)`` calls), the oldest message to the call that has waited longest.
    public func getMessage(bufferSize: Int) throws(FilterPortError) -> FilterMessage {
        let waiter = Waiter<Result<FilterMessage, FilterPortError>>()
        var wakes = WaitingCalls.Wakes()
        shared.withLock { $0.add(.thread(waiter, bufferSize: bufferSize), &wakes) }
        wakes.give()
        return try wait(for: waiter).get()
    }

    /// Answers the message `messageID` with `status` and `bytes`; mirrors `FilterReplyMessage`.
    ///
    /// - Throws: ``FilterPortError``: 0x801F0020 when nobody waits for that reply any more (the filter's
    ///   timeout passed, or the id is unknown), 0x800700EA when `bytes` are more than the message's
    ///   ReplyLength, 0x80070006 once the connection is closed.
    public func reply(to messageID: UInt64, status: NTStatus = .success, _ bytes: [UInt8]) throws(FilterPortError) {
        try reply(to: messageID, status: status, bytes, descriptors: nil)
    }

    /// ``reply(to:status:_:)`` with descriptors for the filter's FltSendMessage caller (docs/protocol.md
    /// section 12); `descriptors` is consumed (closed once sent, or when the call fails, refused ones
    /// included).
    /// - Throws: as ``reply(to:status:_:)``; 0x80070057 for descriptors on a port connected without
    ///   `FLT_PORT_FLAG_DESCRIPTORS`, or more than 253 (nothing is sent).
    public func reply(
        to messageID: UInt64,
        status: NTStatus = .success,
        _ bytes: [UInt8],
        descriptors: PassedDescriptors?
    ) throws(FilterPortError) {
        defer { descriptors?.close() }
        let attached = try checkAttachable(descriptors)
        guard bytes.count + 4 <= maxMessageSize else {
            throw .invalidArgument("the reply is \(bytes.count) bytes; the port takes at most \(maxMessageSize - 4)")
        }
        let waiter = Waiter<NTStatus>()
        try shared.withLock { calls throws(FilterPortError) in
            if let failure = calls.failure { throw FilterPortError(.invalidHandle, failure.message) }
            guard calls.replies[messageID] == nil else {
                throw .invalidArgument("a reply to message \(messageID) is already waiting for its result")
            }
            calls.replies[messageID] = waiter
        }
        let frame = Frame.reply(id: messageID, status: status, body: bytes).encoded(descriptorCount: attached.count)
        writer.withLock { fd in _ = try? AbstractSocket.sendAll(fd, frame, descriptors: attached) }
        descriptors?.close()
        let result = try wait(for: waiter)
        guard result == .success else { throw .server(result, port: name.name, during: "FilterReplyMessage") }
    }

    /// The descriptors that go with a frame (borrowed from `descriptors`, read once so that the count the
    /// header announces is the count sent): 0 to 253, and none on a port connected without
    /// `FLT_PORT_FLAG_DESCRIPTORS` (docs/protocol.md section 12).
    private func checkAttachable(_ descriptors: PassedDescriptors?) throws(FilterPortError) -> [Int32] {
        let attached = descriptors?.descriptors ?? []
        guard !attached.isEmpty else { return [] }
        guard acceptsDescriptors else {
            throw .invalidArgument(
                "descriptors need a port connected with FLT_PORT_FLAG_DESCRIPTORS (0x100) in its options"
            )
        }
        guard attached.count <= PassedDescriptors.maximumPerFrame else {
            throw .invalidArgument("\(attached.count) descriptors; a message carries at most 253")
        }
        return attached
    }

    // MARK: - Reading

    /// Waits until `waiter` has its value, or the connection is over.
    private func wait<Value>(for waiter: Waiter<Value>) throws(FilterPortError) -> Value {
        try block(waiter) { calls -> Result<Value, FilterPortError>? in
            if let failure = calls.failure { return .failure(failure) }
            return waiter.value.map { .success($0) }
        }.get()
    }

    private enum Step<R> {
        case done(R)
        case next(WaitingCalls.Next)
    }

    /// What every blocked thread runs, a caller's or the async reader's: until `done` returns a result (it
    /// runs with the lock held), reads for every call while this thread holds the reader role, and sleeps
    /// while another does (``WaitingCalls`` says who wakes whom). Threads are woken once the lock is let go.
    private func block<R>(_ sleeper: Sleeper, until done: (inout WaitingCalls) -> R?) -> R {
        var wakes = WaitingCalls.Wakes()
        while true {
            let step = shared.withLock { calls -> Step<R> in
                if let result = done(&calls) {
                    calls.leave(sleeper, &wakes)
                    return .done(result)
                }
                return .next(calls.proceed(sleeper))
            }
            wakes.give()
            switch step {
            case .done(let result): return result
            case .next(.read): readOneFrame(&wakes)
            case .next(.sleep): sleeper.sleep()
            }
        }
    }

    /// Reads one frame for every call (the reader role is this thread's) and files it with the call it is
    /// for; the calls to wake go to `wakes`.
    ///
    /// The reader sleeps in poll, not in recv: a recv asleep on a Unix stream socket is also woken when the
    /// server reads what this side wrote (the kernel's write-space wake-up, which poll tells apart by its
    /// events), and would run only to find nothing and sleep again. That is a thread switch each way per
    /// FilterReplyMessage on a busy CPU, whether this thread wrote the REPLY or another did while this one
    /// read for it (measured with 10 listening threads: 4.8 switches per verdict with recv, 3.8 with poll).
    private func readOneFrame(_ wakes: inout WaitingCalls.Wakes) {
        let frame: Frame?
        let descriptors: Result<PassedDescriptors?, FilterPortError>
        do {
            (frame, descriptors) = try FilterPort.readFrame(fd: fd, reader: reader, port: name, pollFirst: true)
        } catch {
            reader.closeDescriptors()
            return fail(FilterPortError(.invalidHandle, "the connection to \(name) failed: \(error)"), &wakes)
        }
        guard let frame else {
            reader.closeDescriptors()
            return fail(FilterPortError(.invalidHandle, "the server closed the connection to \(name)"), &wakes)
        }
        switch frame {
        case .sendResult(let id, let status, let output):
            // Descriptors for a SEND nobody waits for any more close with `descriptors`.
            shared.withLock { $0.file(sendResult: (status, output, descriptors), id: id, &wakes) }
        case .message(let id, let replyCapacity, let body):
            var message = FilterMessage(
                messageID: id,
                replyLength: Int(replyCapacity),
                bytes: body,
                descriptors: try? descriptors.get()
            )
            if case .failure(let lost) = descriptors { message.descriptorsLost = lost }
            shared.withLock { $0.file(message: message, &wakes) }
        case .replyResult(let id, let status):
            shared.withLock { $0.file(replyResult: status, id: id, &wakes) }
        case .disconnect(let status):
            let reason = FilterPortError.server(status, port: name.name, during: "the connection")
            // The handle is spent either way: a status that is not an error (a confused server) reads as E_HANDLE.
            let spent = status == .portDisconnected || !status.hresult.isFailure
            fail(FilterPortError(spent ? .invalidHandle : reason.hresult, reason.message), &wakes)
        case .connect, .connectResult, .send, .reply:
            // The client decoder refuses client-to-server types; CONNECT_RESULT after the handshake is ignored.
            break
        }
    }

    private func fail(_ error: FilterPortError, _ wakes: inout WaitingCalls.Wakes) {
        shared.withLock { $0.fail(error, &wakes) }
    }

    /// Reads one frame and the descriptors it announced (docs/protocol.md section 12), or the error saying the
    /// kernel dropped them: nil at end of stream. `pollFirst`: sleep in poll before the first recv
    /// (``readOneFrame(_:)`` says why); not in the handshake, whose receive timeout bounds recv, not poll.
    private static func readFrame(
        fd: Int32,
        reader: Reader,
        port: PortName,
        pollFirst: Bool = false
    ) throws -> (frame: Frame?, descriptors: Result<PassedDescriptors?, FilterPortError>) {
        var pollFirst = pollFirst
        while true {
            if let (frame, announced) = try reader.decoder.nextCounted() {
                guard announced > 0 else { return (frame, .success(nil)) }
                switch reader.descriptors.take(announced) {
                case .whole(let taken):
                    return (frame, .success(PassedDescriptors(taking: taken)))
                case .cut:
                    return (frame, .failure(.descriptorsDropped(announced, with: frame, port: port.name)))
                case .missing(let received):
                    throw FrameViolation.missingDescriptors(
                        type: frame.type,
                        announced: announced,
                        received: received
                    )
                }
            }
            // Every whole frame is taken: what is left must be the partial frame's.
            if reader.descriptors.count > reader.decoder.partialFrameDescriptorCapacity {
                throw FrameViolation.unannouncedDescriptors(reader.descriptors.count)
            }
            if pollFirst {
                pollFirst = false
                awaitReadable(fd)
            }
            guard let count = try receive(fd: fd, reader: reader) else { throw SystemError("recv", errno: EAGAIN) }
            if count == 0 { return (nil, .success(nil)) }
            reader.decoder.append(UnsafeRawBufferPointer(rebasing: reader.scratch[0..<count]))
        }
    }

    /// Reads into the reader's scratch buffer: the count (0 at end of stream), nil when a non-blocking socket has
    /// nothing. On a connection with descriptors, those that came go onto the reader's queue.
    private static func receive(fd: Int32, reader: Reader) throws -> Int? {
        // Without the option nothing may bring descriptors, and a plain recv (cheaper than recvmsg) has the kernel
        // close any a server sends anyway (docs/protocol.md section 12, opting in).
        guard reader.decoder.acceptsDescriptors else { return try AbstractSocket.receive(fd, into: reader.scratch) }
        guard let received = try AbstractSocket.receive(fd, into: reader.scratch, withDescriptors: ()) else {
            return nil
        }
        reader.descriptors.append(received.descriptors, cutByKernel: received.cutByKernel)
        if received.foreignControl { throw FrameViolation.truncatedDescriptors }
        return received.count
    }
}

/// Sleeps until `fd` is readable, closed or failed (the read that follows says which).
private func awaitReadable(_ fd: Int32) {
    var readable = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while poll(&readable, 1, -1) < 0 && errno == EINTR {}
}

/// Sets SO_RCVTIMEO; nil clears it.
private func setReceiveTimeout(_ fd: Int32, _ timeout: Duration?) {
    let (seconds, attoseconds) = timeout?.components ?? (0, 0)
    var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    // Cannot fail for a socket of our own; ignored as it always was.
    _ = injectable("setsockopt(SO_RCVTIMEO)") {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}

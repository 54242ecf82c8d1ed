// SPDX-License-Identifier: MIT
import Logging
import MiniFltPosix
import MiniFltWire
import Synchronization

/// Bytes written for a client and not yet taken by its socket, and the duplicate descriptor that waits for
/// EPOLLOUT while there are any.
///
/// # Thread safety
/// A value inside ``Connection/State``, under the connection's lock.
struct OutputQueue {
    /// Descriptors to send with the byte at `offset` of `bytes`, a frame's first (docs/protocol.md section 12).
    struct Attachment {
        var offset: Int
        let descriptors: PassedDescriptors
    }

    private(set) var bytes: [UInt8] = []
    /// Oldest first; each closes its descriptors once the kernel passed them (or when the queue goes).
    private var attachments: [Attachment] = []
    /// A duplicate of the socket registered for EPOLLOUT while `bytes` is not empty.
    var writeDescriptor: Int32?

    var isEmpty: Bool { bytes.isEmpty }
    /// Bytes queued, each queued descriptor counting 4096 against the output limit (section 12).
    var count: Int { bytes.count + attachments.reduce(0) { $0 + $1.descriptors.count } * 4096 }

    mutating func append(_ more: [UInt8], descriptors: PassedDescriptors? = nil) {
        if let descriptors { attachments.append(Attachment(offset: bytes.count, descriptors: descriptors)) }
        bytes += more
    }
    mutating func append(_ more: ArraySlice<UInt8>) { bytes.append(contentsOf: more) }

    /// Writes what the socket takes now: each attachment's descriptors with a sendmsg that starts at its frame.
    mutating func flush(_ fd: Int32) throws(SystemError) {
        while !bytes.isEmpty {
            let end = attachments.first(where: { $0.offset > 0 })?.offset ?? bytes.count
            let attached = attachments.first?.offset == 0 ? attachments.first?.descriptors : nil
            let written = try AbstractSocket.sendSome(
                fd,
                bytes[0..<end],
                descriptors: attached?.descriptors ?? []
            )
            if written == 0 { return }
            if attached != nil { attachments.removeFirst() }  // passed: our copies close here
            if written == bytes.count {
                bytes.removeAll(keepingCapacity: bytes.capacity <= 64 * 1024)
                return
            }
            bytes.removeFirst(written)
            for index in attachments.indices { attachments[index].offset -= written }
            if written < end { return }
        }
    }
}

/// What went wrong while writing, to log once the lock is let go (``Connection/report(_:)``).
enum OutputProblem {
    /// The queue passed its limit the first time: the client does not read.
    case queueFull
    /// The write registration could not be made: the socket was shut down.
    case cannotWatchWritable(SystemError)
}

/// Writing: any thread, under the lock (the descriptor is closed under it too).
extension Connection {
    /// Queues a frame for the client and writes what the socket takes now.
    func write(_ frame: Frame) {
        let bytes = frame.encoded()
        report(state.withLock { writeLocked(&$0, bytes) })
    }

    /// ``write(_:)`` for a caller that holds the lock; returns what went wrong, for the caller to ``report(_:)``
    /// once it let go of the lock.
    ///
    /// `descriptors` (for a frame whose header announces them, docs/protocol.md section 12) go with the frame's
    /// first byte; they are closed here once the kernel passed them, or with the queue when the client goes.
    func writeLocked(_ state: inout State, _ bytes: [UInt8], descriptors: PassedDescriptors? = nil) -> OutputProblem? {
        guard state.life.acceptsOutput else { return nil }
        if bytes.count >= Connection.largeBufferBytes { noteLargeBuffer() }
        if state.output.isEmpty {
            // The common case: the socket takes it all, and nothing is copied into the queue.
            do {
                let written =
                    if let descriptors {
                        try AbstractSocket.sendSome(fd, bytes[...], descriptors: descriptors.descriptors)
                    } else {
                        try AbstractSocket.sendSome(fd, bytes)
                    }
                if written == bytes.count { return nil }
                if written == 0 {
                    state.output.append(bytes, descriptors: descriptors)
                } else {
                    state.output.append(bytes[written...])
                }
            } catch {
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "writing to the client failed: \(error)"))
                return nil
            }
        } else {
            state.output.append(bytes, descriptors: descriptors)
        }
        if state.output.count > context.maxQueuedOutputBytes {
            let (logLimit, requested) = state.life.outputOverflowed()
            if requested { wakeReader() }
            return logLimit ? .queueFull : nil
        }
        return awaitWritableLocked(&state)
    }

    /// Logs what ``writeLocked(_:_:)`` ran into; called with the lock let go.
    func report(_ problem: OutputProblem?) {
        switch problem {
        case nil: return
        case .queueFull:
            log(
                .warning,
                .limitHit,
                "the client does not read: over \(context.maxQueuedOutputBytes) bytes queued; disconnecting it"
            )
        case .cannotWatchWritable(let error):
            context.logger.error("cannot wait for the client's socket to drain: \(error); disconnecting it")
        }
    }

    /// Writes queued output on an EPOLLOUT event of the write registration.
    func handleWritable() {
        let problem = state.withLock { state -> OutputProblem? in
            // Empty once the reader closed the socket; a close request still lets queued bytes out.
            guard !state.output.isEmpty else { return nil }
            do {
                try state.output.flush(fd)
            } catch {
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "writing to the client failed: \(error)"))
                return nil
            }
            return state.output.isEmpty ? nil : awaitWritableLocked(&state)
        }
        report(problem)
    }

    /// Records a close request and wakes the reader, with the lock held: the reader closes the descriptor
    /// under the same lock, so the shutdown never reaches a reused descriptor.
    func requestCloseLocked(_ state: inout State, _ request: CloseRequest) {
        if state.life.closeRequested(request) { wakeReader() }
    }

    /// Registers (or re-arms) a duplicate descriptor for EPOLLOUT: any thread may do that safely, because a
    /// write event only flushes under the lock.
    private func awaitWritableLocked(_ state: inout State) -> OutputProblem? {
        if let writeDescriptor = state.output.writeDescriptor {
            host.rearmWritable(self, descriptor: writeDescriptor)
            return nil
        }
        guard let duplicate = try? DescriptorCalls.duplicate(fd) else {
            requestCloseLocked(
                &state,
                CloseRequest(status: nil, reason: "no descriptor left to wait for a slow reader")
            )
            return nil
        }
        state.output.writeDescriptor = duplicate
        do {
            try host.watchWritable(self, descriptor: duplicate)
            return nil
        } catch {
            // The reader sees the end of the stream and closes; the peer sees its end too.
            try? DescriptorCalls.shutdown(fd, .readWrite)
            return .cannotWatchWritable(error)
        }
    }
}

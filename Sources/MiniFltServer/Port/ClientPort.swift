// SPDX-License-Identifier: MIT
public import MiniFltPermissions
public import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One client's connection, as the routines see it: `PFLT_PORT ClientPort` on Windows.
///
/// # Thread safety
/// Immutable but for the connection it refers to, which locks itself: safe to keep and use from any thread.
public final class ClientPort: Sendable, CustomStringConvertible {
    /// A number unique to this connection within the port's lifetime.
    public let id: UInt64
    /// The client's pid, uid, gid and groups as of connect() (SO_PEERCRED, SO_PEERGROUPS).
    public let peer: PeerIdentity
    /// How the client lays out `wchar_t` text.
    public let wcharSize: WideCharacterSize
    /// FilterConnectCommunicationPort's options.
    public let options: UInt32
    /// When its connect routine was asked, in seconds since 1970 (the wall clock, for a person to read).
    public let connectedSince: Double
    /// SENDs answered on this connection so far.
    public var messagesHandled: Int { connection.messagesAnswered.load(ordering: .relaxed) }

    let connection: Connection

    init(connection: Connection, wcharSize: WideCharacterSize, options: UInt32) {
        self.id = connection.id
        self.peer = connection.peer
        self.connection = connection
        self.wcharSize = wcharSize
        self.options = options
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        self.connectedSince = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Closes this client's connection; mirrors `FltCloseClientPort`.
    ///
    /// The client is sent DISCONNECT with `STATUS_PORT_DISCONNECTED`; every later call on its handle fails with
    /// 0x80070006. The disconnect routine runs once, after any message routine of this connection returned.
    public func close() {
        connection.requestClose(sending: .portDisconnected, reason: "the server closed the client port")
    }

    /// Sends `message` to this client and, when `replyCapacity` is above 0, waits for its reply; mirrors
    /// `FltSendMessage`. The client receives it with FilterGetMessage and answers with FilterReplyMessage.
    ///
    /// - Parameters:
    ///   - message: the bytes the client receives after its 16-byte FILTER_MESSAGE_HEADER.
    ///   - replyCapacity: the most reply bytes accepted (the client's ReplyLength); 0 asks for no reply.
    ///   - timeout: how long to wait for the reply; nil waits for ever.
    /// - Returns: the reply, ``FilterMessageResult/timedOut``, or ``FilterMessageResult/portDisconnected``
    ///   when the client goes away (or is not connected) first.
    ///
    /// # Thread safety
    /// Any number of threads may send to one client at once; replies are matched by message id. Waiting
    /// inside a routine holds the port's loop thread: the standby thread reads the reply after 50 ms.
    public func send(_ message: [UInt8], replyCapacity: Int = 0, timeout: Duration? = nil) -> FilterMessageResult {
        send(message, descriptors: nil, replyCapacity: replyCapacity, timeout: timeout).result
    }

    /// Whether the client asked for descriptors at connect (`FLT_PORT_FLAG_DESCRIPTORS`, docs/protocol.md
    /// section 12): only such a client receives the descriptors of ``send(_:descriptors:replyCapacity:timeout:)``.
    public var acceptsDescriptors: Bool { options & ConnectRequest.descriptorsOption != 0 }

    /// ``send(_:replyCapacity:timeout:)`` with open descriptors attached to the message, and the reply's
    /// descriptors returned: `FltSendMessage` with SCM_RIGHTS (docs/protocol.md section 12).
    ///
    /// Ownership: `descriptors` is consumed. The library closes them once the kernel passed them to the client
    /// (which then owns duplicates), or when they cannot go (the client did not opt in, see
    /// ``acceptsDescriptors``; it is gone; it never reads): pass ``PassedDescriptors/duplicating(_:)`` of a
    /// descriptor you keep. At most 253 (SCM_MAX_FD): with more, nothing is sent, the descriptors are closed
    /// all the same, and the result is ``FilterMessageResult/invalidParameter``. The returned reply
    /// descriptors are the caller's: they close when the object goes, unless taken.
    public func send(
        _ message: [UInt8],
        descriptors: PassedDescriptors?,
        replyCapacity: Int = 0,
        timeout: Duration? = nil
    ) -> (result: FilterMessageResult, replyDescriptors: PassedDescriptors?) {
        if ClientPort.refuses(descriptors) { return (.invalidParameter, nil) }
        return connection.sendMessage(
            message,
            descriptors: descriptors,
            replyCapacity: max(0, min(replyCapacity, Int(UInt32.max))),
            timeout: timeout
        )
    }

    /// Sends `message` to this client without waiting; `completion` is called exactly once with the outcome.
    /// Mirrors `FltSendMessage`, for a filter that keeps many messages in flight to one client without a
    /// blocked thread for each.
    ///
    /// - Parameters:
    ///   - message: the bytes the client receives after its 16-byte FILTER_MESSAGE_HEADER.
    ///   - replyCapacity: the most reply bytes accepted (the client's ReplyLength); 0 asks for no reply.
    ///   - timeout: how long the reply may take; nil waits for ever (or until the client goes).
    ///   - completion: gets the reply, ``FilterMessageResult/timedOut``, ``FilterMessageResult/delivered``
    ///     (no reply asked for) or ``FilterMessageResult/portDisconnected`` (the client went away, or was not
    ///     connected). It runs on this thread when the outcome is known at once, else on one of the port's
    ///     I/O threads: it must not block, and may call `send` again.
    ///
    /// # Thread safety
    /// Any thread, any number at once, as ``send(_:replyCapacity:timeout:)``. A reply that comes after the
    /// timeout is refused with 0xC01C0020, as for the blocking form.
    public func send(
        _ message: [UInt8],
        replyCapacity: Int = 0,
        timeout: Duration? = nil,
        completion: @escaping @Sendable (FilterMessageResult) -> Void
    ) {
        send(message, descriptors: nil, replyCapacity: replyCapacity, timeout: timeout) { result, _ in
            completion(result)
        }
    }

    /// ``send(_:replyCapacity:timeout:completion:)`` with descriptors, owned as in
    /// ``send(_:descriptors:replyCapacity:timeout:)``: `descriptors` is consumed, and `completion` gets the
    /// reply's descriptors (its to take; they close when the object goes). With more than 253 descriptors,
    /// `completion` gets ``FilterMessageResult/invalidParameter`` at once, on this thread.
    public func send(
        _ message: [UInt8],
        descriptors: PassedDescriptors?,
        replyCapacity: Int = 0,
        timeout: Duration? = nil,
        completion: @escaping @Sendable (FilterMessageResult, PassedDescriptors?) -> Void
    ) {
        // A sender without a deadline of its own takes every outcome.
        sendAcceptingReply(message, descriptors: descriptors, replyCapacity: replyCapacity, timeout: timeout) {
            completion($0, $1)
            return true
        }
    }

    /// More descriptors than one frame carries (docs/protocol.md section 12): closed here, since the call
    /// consumes them whatever it answers, and the caller is told STATUS_INVALID_PARAMETER.
    static func refuses(_ descriptors: PassedDescriptors?) -> Bool {
        guard let descriptors, descriptors.count > PassedDescriptors.maximumPerFrame else { return false }
        descriptors.close()
        return true
    }

    public var description: String { "client \(id) (pid \(peer.pid), uid \(peer.uid))" }
}

// SPDX-License-Identifier: MIT
public import MiniFltWire

/// The three routines of a port, as `FltCreateCommunicationPort` takes ConnectNotify, DisconnectNotify and
/// MessageNotify.
///
/// # Thread safety
/// Every routine runs on the port's Dispatch queue (`dispatchPrecondition(condition: .onQueue(queue))` holds),
/// one at a time, in the order the frames arrived, even on a concurrent queue.
/// For each connection: a connect routine that succeeded is followed by exactly one disconnect routine; a failed
/// one by none; no message routine starts after the disconnect routine started.
public struct PortRoutines<ServerCookie: Sendable, ConnectionCookie: Sendable>: Sendable {
    /// Mirrors `PFLT_CONNECT_NOTIFY`: the client port, the port's server cookie and the connection context
    /// (0...65535 bytes, copied). Returns the connection cookie, or a failure status that the client sees as
    /// its HRESULT.
    public typealias Connect =
        @Sendable (_ client: ClientPort, _ serverCookie: ServerCookie, _ context: [UInt8]) -> ConnectResult<
            ConnectionCookie
        >
    /// Mirrors `PFLT_DISCONNECT_NOTIFY`: runs once, with the connection cookie.
    public typealias Disconnect = @Sendable (_ cookie: ConnectionCookie) -> Void
    /// Mirrors `PFLT_MESSAGE_NOTIFY`: the connection cookie, the input bytes (nil for a NULL input buffer) and
    /// the output capacity (0 for a NULL output buffer). Returns a status and at most `outputCapacity` bytes.
    public typealias Message =
        @Sendable (_ cookie: ConnectionCookie, _ input: [UInt8]?, _ outputCapacity: Int) -> MessageResult

    /// ``Message`` that also gets the descriptors that came with the SEND (docs/protocol.md section 12): the
    /// routine owns them (they close when the object goes, unless it takes them) and may return descriptors
    /// in ``MessageResult/descriptors``.
    public typealias DescriptorMessage =
        @Sendable (
            _ cookie: ConnectionCookie, _ input: [UInt8]?, _ outputCapacity: Int, _ descriptors: PassedDescriptors?
        ) -> MessageResult

    public var connect: Connect
    public var disconnect: Disconnect
    /// Nil for a port without a message routine: every send to it fails (the scanner sample's port has none).
    /// Descriptors a client sends to this routine are closed unread.
    public var message: Message?
    /// The message routine that takes descriptors; when set, ``message`` is not called.
    public var descriptorMessage: DescriptorMessage?

    public init(connect: @escaping Connect, disconnect: @escaping Disconnect, message: Message?) {
        self.connect = connect
        self.disconnect = disconnect
        self.message = message
    }

    /// A port whose message routine takes descriptors (docs/protocol.md section 12).
    public init(
        connect: @escaping Connect,
        disconnect: @escaping Disconnect,
        descriptorMessage: @escaping DescriptorMessage
    ) {
        self.connect = connect
        self.disconnect = disconnect
        self.message = nil
        self.descriptorMessage = descriptorMessage
    }
}

/// What a connect routine decides.
public enum ConnectResult<Cookie: Sendable>: Sendable {
    /// The connection is accepted; the cookie goes to its message and disconnect routines.
    case accept(Cookie)
    /// The connection is refused with this (failure) status; no disconnect routine follows.
    case refuse(NTStatus)
}

/// What a message routine answers.
public struct MessageResult: Sendable, Hashable {
    /// Any status other than `STATUS_SUCCESS` fails the client's FilterSendMessage.
    public var status: NTStatus
    /// The output bytes: their count is the returned length.
    public var output: [UInt8]
    /// Descriptors for the SEND_RESULT (docs/protocol.md section 12), consumed: the library closes them once
    /// the kernel passed them, or unsent when the status is not `STATUS_SUCCESS`, the client did not opt in,
    /// or it is gone. At most 253.
    public var descriptors: PassedDescriptors?

    public init(status: NTStatus = .success, output: [UInt8] = [], descriptors: PassedDescriptors? = nil) {
        self.status = status
        self.output = output
        self.descriptors = descriptors
    }
}

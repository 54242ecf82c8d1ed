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

    public var connect: Connect
    public var disconnect: Disconnect
    /// Nil for a port without a message routine: every send to it fails (the scanner sample's port has none).
    public var message: Message?

    public init(connect: @escaping Connect, disconnect: @escaping Disconnect, message: Message?) {
        self.connect = connect
        self.disconnect = disconnect
        self.message = message
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

    public init(status: NTStatus = .success, output: [UInt8] = []) {
        self.status = status
        self.output = output
    }
}

/// A connection cookie with its type erased: a class, so that getting the type back is a pointer compare
/// rather than an existential cast on every message.
class CookieBox: @unchecked Sendable {}

/// The cookie of one port's routines. Immutable; `C` is `Sendable`.
final class TypedCookieBox<C: Sendable>: CookieBox, @unchecked Sendable {
    let value: C
    init(_ value: C) { self.value = value }
}

/// The routines with their cookie types erased, as the engine stores them.
struct ErasedRoutines: Sendable {
    let connect: @Sendable (ClientPort, [UInt8]) -> ConnectResult<CookieBox>
    let disconnect: @Sendable (CookieBox) -> Void
    let message: (@Sendable (CookieBox, [UInt8]?, Int) -> MessageResult)?

    init<S: Sendable, C: Sendable>(_ routines: PortRoutines<S, C>, serverCookie: S) {
        connect = { client, context in
            switch routines.connect(client, serverCookie, context) {
            case .accept(let cookie): .accept(TypedCookieBox(cookie))
            case .refuse(let status): .refuse(status)
            }
        }
        disconnect = { cookie in
            guard let box = cookie as? TypedCookieBox<C> else {
                preconditionFailure("connection cookie of the wrong type")
            }
            routines.disconnect(box.value)
        }
        if let routine = routines.message {
            message = { cookie, input, capacity -> MessageResult in
                guard let box = cookie as? TypedCookieBox<C> else {
                    preconditionFailure("connection cookie of the wrong type")
                }
                return routine(box.value, input, capacity)
            }
        } else {
            message = nil
        }
    }
}

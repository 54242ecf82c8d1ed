// SPDX-License-Identifier: MIT
public import MiniFltWire

/// How a message sent to a client port ended; mirrors what `FltSendMessage` returns.
///
/// A timeout is a case of its own: on Windows it is `STATUS_TIMEOUT` (0x102), a *success* code that careless
/// callers take for a reply.
public enum FilterMessageResult: Sendable, Hashable {
    /// The client replied (FilterReplyMessage) with this status and these bytes.
    case replied(status: NTStatus, reply: [UInt8])
    /// No reply was asked for (reply capacity 0): the message was queued to the client.
    case delivered
    /// No reply came within the timeout (`STATUS_TIMEOUT`); a reply that comes later is refused.
    case timedOut
    /// The client went away, or the port closed it, before replying (`STATUS_PORT_DISCONNECTED`).
    case portDisconnected
    /// Nothing was sent: the call asked for what no MESSAGE can carry, more than 253 descriptors
    /// (`STATUS_INVALID_PARAMETER`, docs/protocol.md section 12). Its descriptors were closed.
    case invalidParameter

    /// The NTSTATUS `FltSendMessage` would return.
    public var status: NTStatus {
        switch self {
        case .replied, .delivered: .success
        case .timedOut: .timeout
        case .portDisconnected: .portDisconnected
        case .invalidParameter: .invalidParameter
        }
    }
}

// SPDX-License-Identifier: MIT
extension NTStatus {
    /// What a client's user should make of this status when the server sent it, for the statuses a client
    /// meets in practice; nil for the others. libfltlib prints the same sentences (FilterGetLastErrorText):
    /// Tests/WireVectors/wire-vectors.txt holds them, and both libraries are checked against it.
    public var clientAdvice: String? {
        switch self {
        case .accessDenied:
            "the port's permission descriptor does not admit this process's uid or groups; run as a user it admits or extend it (minifltd --allow-user, --allow-group or --sddl)"
        case .connectionCountLimit:
            "the port already has its maximum number of connections; close another client or raise minifltd --max-connections"
        case .portDisconnected: "the server closed this connection; connect again"
        case .invalidParameter: "the server rejected the request as malformed"
        case .ioTimeout: "the server gave up waiting for the handshake"
        case .insufficientResources:
            "the server is out of resources or this connection has too many requests outstanding"
        case .fltNoWaiterForReply:
            "nobody waits for a reply to that message any more (the filter's timeout passed, or the id is unknown)"
        case .bufferOverflow:
            "the answer did not fit its buffer: the port's message routine returned more than the output buffer holds, or the reply is longer than the ReplyLength the filter gave (FILTER_MESSAGE_HEADER)"
        case .invalidDeviceRequest: "the port has no message routine"
        default: nil
        }
    }
}

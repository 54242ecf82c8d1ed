// SPDX-License-Identifier: MIT
public import MiniFltWire

/// A failed client call: the HRESULT fltlib would return, and a sentence saying what failed and what to do.
public struct FilterPortError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What fltlib returns for the same failure (docs/protocol.md section 7).
    public var hresult: HResult
    /// What failed and what to do, for a person.
    public var message: String

    public init(_ hresult: HResult, _ message: String) {
        self.hresult = hresult
        self.message = message
    }

    /// `E_INVALIDARG` with a reason.
    static func invalidArgument(_ message: String) -> FilterPortError { FilterPortError(.invalidArgument, message) }

    /// The error for a status the server sent, explained where the status is a common one.
    static func server(_ status: NTStatus, port: String, during call: String) -> FilterPortError {
        let advice: String
        switch status {
        case .accessDenied:
            advice =
                "the port's permission descriptor does not admit this process's uid or groups; run as a user it admits or extend it (minifltd --allow-user, --allow-group or --sddl)"
        case .connectionCountLimit:
            advice =
                "the port already has its maximum number of connections; close another client or raise minifltd --max-connections"
        case .portDisconnected: advice = "the server closed this connection; connect again"
        case .invalidParameter: advice = "the server rejected the request as malformed"
        case .ioTimeout: advice = "the server gave up waiting for the handshake"
        case .insufficientResources:
            advice = "the server is out of resources or this connection has too many requests outstanding"
        case .fltNoWaiterForReply:
            advice =
                "nobody waits for a reply to that message any more (the filter's timeout passed, or the id is unknown)"
        case .bufferOverflow:
            advice =
                "the reply is longer than the ReplyLength the filter gave (FILTER_MESSAGE_HEADER); send at most that many bytes after the header"
        default: advice = "the server answered \(status)"
        }
        return FilterPortError(status.failureHResult, "\(call) on port \(port) failed: \(advice)")
    }

    public var description: String { "\(message) (HRESULT = \(hresult.hex))" }
}

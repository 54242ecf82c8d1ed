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
        let advice = status.clientAdvice ?? "the server answered \(status)"
        return FilterPortError(status.failureHResult, "\(call) on port \(port) failed: \(advice)")
    }

    /// 0x80070004 for a frame whose `count` descriptors the kernel dropped (docs/protocol.md section 12).
    static func descriptorsDropped(_ count: Int, with frame: Frame, port: String) -> FilterPortError {
        let which: String
        switch frame {
        case .message(let id, _, _): which = "message \(id)"
        case .sendResult(let id, _, _): which = "the result of send \(id)"
        default: which = "a \(frame.type) frame"
        }
        return FilterPortError(
            .tooManyOpenFiles,
            "the \(count) descriptor(s) of \(which) on port \(port) did not reach this process: it was at its descriptor limit (RLIMIT_NOFILE), so the kernel dropped them (any that came were closed); close descriptors it no longer needs or raise the limit (ulimit -n, LimitNOFILE=). The connection and later messages are not affected"
        )
    }

    public var description: String { "\(message) (HRESULT = \(hresult.hex))" }
}

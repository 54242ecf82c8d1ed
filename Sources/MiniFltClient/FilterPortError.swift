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

    public var description: String { "\(message) (HRESULT = \(hresult.hex))" }
}

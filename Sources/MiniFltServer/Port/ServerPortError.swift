// SPDX-License-Identifier: MIT
public import MiniFltWire

/// Why a server port could not be created: an NTSTATUS, a sentence a person can act on, and the system error
/// behind it where there is one.
public struct ServerPortError: Error, Sendable, CustomStringConvertible {
    /// `STATUS_OBJECT_NAME_COLLISION` when the address is taken, `STATUS_INVALID_PARAMETER` for a bad listening
    /// socket, `STATUS_INSUFFICIENT_RESOURCES` when the system is out of descriptors or memory.
    public var status: NTStatus
    public var message: String
    /// The failing system call, as text.
    public var underlyingError: String?

    public init(status: NTStatus, message: String, underlyingError: String? = nil) {
        self.status = status
        self.message = message
        self.underlyingError = underlyingError
    }

    public var description: String {
        var text = "\(message) [\(status)]"
        if let underlyingError { text += " (\(underlyingError))" }
        return text
    }
}

// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// Why a filter could not be registered or started, said so that a person knows what to do. The Windows
/// originals are the NTSTATUS codes FltRegisterFilter and FltStartFiltering return; here the errno of the
/// call that failed.
public struct FilterError: Error, Sendable, CustomStringConvertible {
    /// The errno of the system call that failed.
    public let errno: Int32
    public let description: String

    init(_ description: String, errno: Int32) {
        self.description = description
        self.errno = errno
    }

    static func strerror(_ number: Int32) -> String {
        Glibc.strerror(number).map { String(cString: $0) } ?? "errno \(number)"
    }
}

// SPDX-License-Identifier: MIT
/// A Windows NTSTATUS value: what the server library and the routines speak.
///
/// The top two bits are the severity (00 success, 01 informational, 10 warning, 11 error).
/// `NTStatus` values travel on the wire as signed 32-bit little-endian integers.
public struct NTStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit status as written in Microsoft's headers (`0xC0000022` for `STATUS_ACCESS_DENIED`).
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The status as the signed integer that travels on the wire.
    public init(wireValue: Int32) { self.rawValue = UInt32(bitPattern: wireValue) }

    /// The signed form written into frames.
    public var wireValue: Int32 { Int32(bitPattern: rawValue) }

    /// True for the success and informational severities, as `NT_SUCCESS` says.
    ///
    /// `STATUS_TIMEOUT` is such a success code; callers that must tell a reply from a timeout
    /// compare with `.success` instead.
    public var isSuccessSeverity: Bool { rawValue & 0x8000_0000 == 0 }

    /// The facility code (bits 16-27).
    public var facility: UInt32 { (rawValue >> 16) & 0x0FFF }

    /// `0xc0000022`: eight lowercase hex digits.
    public var hex: String { "0x" + hexDigits(rawValue) }

    /// `STATUS_ACCESS_DENIED (0xc0000022)`: the Windows name where known, and the hex.
    public var description: String {
        if let name = NTStatus.names[self] { return "\(name) (\(hex))" }
        return hex
    }

    /// `STATUS_SUCCESS` (0x00000000).
    public static let success = NTStatus(rawValue: 0x0000_0000)
    /// `STATUS_TIMEOUT` (0x00000102): a success code on Windows.
    public static let timeout = NTStatus(rawValue: 0x0000_0102)
    /// `STATUS_BUFFER_OVERFLOW` (0x80000005): a warning, but a failure for FilterSendMessage.
    public static let bufferOverflow = NTStatus(rawValue: 0x8000_0005)
    /// `STATUS_NO_MORE_ENTRIES` (0x8000001A).
    public static let noMoreEntries = NTStatus(rawValue: 0x8000_001A)
    /// `STATUS_UNSUCCESSFUL` (0xC0000001).
    public static let unsuccessful = NTStatus(rawValue: 0xC000_0001)
    /// `STATUS_INVALID_PARAMETER` (0xC000000D).
    public static let invalidParameter = NTStatus(rawValue: 0xC000_000D)
    /// `STATUS_ACCESS_DENIED` (0xC0000022).
    public static let accessDenied = NTStatus(rawValue: 0xC000_0022)
    /// `STATUS_BUFFER_TOO_SMALL` (0xC0000023).
    public static let bufferTooSmall = NTStatus(rawValue: 0xC000_0023)
    /// `STATUS_OBJECT_NAME_INVALID` (0xC0000033).
    public static let objectNameInvalid = NTStatus(rawValue: 0xC000_0033)
    /// `STATUS_OBJECT_NAME_NOT_FOUND` (0xC0000034).
    public static let objectNameNotFound = NTStatus(rawValue: 0xC000_0034)
    /// `STATUS_OBJECT_NAME_COLLISION` (0xC0000035).
    public static let objectNameCollision = NTStatus(rawValue: 0xC000_0035)
    /// `STATUS_PORT_DISCONNECTED` (0xC0000037).
    public static let portDisconnected = NTStatus(rawValue: 0xC000_0037)
    /// `STATUS_INSUFFICIENT_RESOURCES` (0xC000009A).
    public static let insufficientResources = NTStatus(rawValue: 0xC000_009A)
    /// `STATUS_IO_TIMEOUT` (0xC00000B5): the handshake or a frame deadline passed.
    public static let ioTimeout = NTStatus(rawValue: 0xC000_00B5)
    /// `STATUS_NOT_SUPPORTED` (0xC00000BB).
    public static let notSupported = NTStatus(rawValue: 0xC000_00BB)
    /// `STATUS_INVALID_DEVICE_REQUEST` (0xC0000010): a send to a port that has no message routine.
    public static let invalidDeviceRequest = NTStatus(rawValue: 0xC000_0010)
    /// `STATUS_CONNECTION_COUNT_LIMIT` (0xC0000246).
    public static let connectionCountLimit = NTStatus(rawValue: 0xC000_0246)
    /// `STATUS_FLT_NO_WAITER_FOR_REPLY` (0xC01C0020).
    public static let fltNoWaiterForReply = NTStatus(rawValue: 0xC01C_0020)

    static let names: [NTStatus: String] = [
        .success: "STATUS_SUCCESS", .timeout: "STATUS_TIMEOUT", .bufferOverflow: "STATUS_BUFFER_OVERFLOW",
        .noMoreEntries: "STATUS_NO_MORE_ENTRIES", .unsuccessful: "STATUS_UNSUCCESSFUL",
        .invalidParameter: "STATUS_INVALID_PARAMETER", .accessDenied: "STATUS_ACCESS_DENIED",
        .bufferTooSmall: "STATUS_BUFFER_TOO_SMALL", .objectNameInvalid: "STATUS_OBJECT_NAME_INVALID",
        .objectNameNotFound: "STATUS_OBJECT_NAME_NOT_FOUND", .objectNameCollision: "STATUS_OBJECT_NAME_COLLISION",
        .portDisconnected: "STATUS_PORT_DISCONNECTED", .insufficientResources: "STATUS_INSUFFICIENT_RESOURCES",
        .ioTimeout: "STATUS_IO_TIMEOUT", .notSupported: "STATUS_NOT_SUPPORTED",
        .invalidDeviceRequest: "STATUS_INVALID_DEVICE_REQUEST",
        .connectionCountLimit: "STATUS_CONNECTION_COUNT_LIMIT",
        .fltNoWaiterForReply: "STATUS_FLT_NO_WAITER_FOR_REPLY",
    ]
}

/// Eight lowercase hex digits, as the seed prints HRESULTs.
@usableFromInline
func hexDigits(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

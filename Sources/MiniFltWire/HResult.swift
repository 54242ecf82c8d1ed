// SPDX-License-Identifier: MIT
/// A Windows HRESULT: what the client libraries return, as fltlib does.
public struct HResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit value as Microsoft's headers write it (`0x80070005` for `E_ACCESSDENIED`).
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `HRESULT_FROM_WIN32(error)`.
    public init(win32 error: UInt32) {
        self.rawValue = error == 0 ? 0 : (error & 0x0000_FFFF) | 0x8007_0000
    }

    /// True where `FAILED(hr)` holds.
    public var isFailure: Bool { rawValue & 0x8000_0000 != 0 }

    /// `0x80070005`: eight lowercase hex digits, the seed's format.
    public var hex: String { "0x" + hexDigits(rawValue) }

    public var description: String { hex }

    /// `E_FAIL` (0x80004005): a call failed with a status whose HRESULT would not read as a failure.
    public static let unspecifiedFailure = HResult(rawValue: 0x8000_4005)
    /// `S_OK` (0x00000000).
    public static let ok = HResult(rawValue: 0)
    /// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)` (0x80070002): nothing listens at the port's address.
    public static let fileNotFound = HResult(rawValue: 0x8007_0002)
    /// `HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES)` (0x80070004): descriptors that came with a message did not
    /// reach the process, which was at its descriptor limit (docs/protocol.md section 12).
    public static let tooManyOpenFiles = HResult(rawValue: 0x8007_0004)
    /// `E_ACCESSDENIED` (0x80070005): the port's permission descriptor refused this peer.
    public static let accessDenied = HResult(rawValue: 0x8007_0005)
    /// `E_HANDLE` as fltlib reports it (0x80070006): the handle is closed, or the server closed the port.
    public static let invalidHandle = HResult(rawValue: 0x8007_0006)
    /// `HRESULT_FROM_WIN32(ERROR_GEN_FAILURE)` (0x8007001F): the socket could not be connected for a reason
    /// other than nobody listening (STATUS_UNSUCCESSFUL's HRESULT).
    public static let generalFailure = HResult(rawValue: 0x8007_001F)
    /// `E_INVALIDARG` (0x80070057): a bad argument.
    public static let invalidArgument = HResult(rawValue: 0x8007_0057)
    /// `HRESULT_FROM_WIN32(ERROR_SEM_TIMEOUT)` (0x80070079): a deadline passed during the handshake.
    public static let semaphoreTimeout = HResult(rawValue: 0x8007_0079)
    /// `HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)` (0x8007007A).
    public static let insufficientBuffer = HResult(rawValue: 0x8007_007A)
    /// `HRESULT_FROM_WIN32(ERROR_INVALID_NAME)` (0x8007007B): the port name is not a valid object name.
    public static let invalidName = HResult(rawValue: 0x8007_007B)
    /// `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` (0x800700EA).
    public static let moreData = HResult(rawValue: 0x8007_00EA)
    /// `HRESULT_FROM_WIN32(WAIT_TIMEOUT)` (0x80070102).
    public static let waitTimeout = HResult(rawValue: 0x8007_0102)
    /// `HRESULT_FROM_WIN32(ERROR_SERVER_SID_MISMATCH)` (0x80070274): the process listening at the port's
    /// address is not the one the client trusts (its uid is neither 0 nor the expected uid), so the client
    /// refused to talk to it. minifltd's choice; docs/protocol.md section 1.
    public static let serverIdentityMismatch = HResult(rawValue: 0x8007_0274)
    /// `HRESULT_FROM_WIN32(ERROR_CANCELLED)` (0x800704C7): the operation was cancelled.
    public static let cancelled = HResult(rawValue: 0x8007_04C7)
    /// `HRESULT_FROM_WIN32(ERROR_CONNECTION_COUNT_LIMIT)` (0x800704D6).
    public static let connectionCountLimit = HResult(rawValue: 0x8007_04D6)
    /// `HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES)` (0x800705AA).
    public static let insufficientResources = HResult(rawValue: 0x8007_05AA)
    /// `HRESULT_FROM_WIN32(ERROR_FLT_NO_WAITER_FOR_REPLY)` (0x801F0020).
    public static let fltNoWaiterForReply = HResult(rawValue: 0x801F_0020)
}

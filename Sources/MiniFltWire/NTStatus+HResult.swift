// SPDX-License-Identifier: MIT
extension NTStatus {
    /// The HRESULT a client sees for this status (docs/protocol.md section 7).
    ///
    /// Filter Manager statuses (facility 0x1C) map to `(status & 0x8000FFFF) | 0x001F0000`; others to
    /// `HRESULT_FROM_WIN32` of their Win32 error where ``win32Errors`` knows it, else `HRESULT_FROM_NT`
    /// (`status | 0x10000000`). An informational status that the table does not know still maps by
    /// `HRESULT_FROM_NT`, and the client libraries fail the call all the same: only `STATUS_SUCCESS` succeeds.
    public var hresult: HResult {
        if self == .success { return .ok }
        if facility == 0x1C { return HResult(rawValue: (rawValue & 0x8000_FFFF) | 0x001F_0000) }
        if let error = NTStatus.win32Errors[self] { return HResult(win32: error) }
        return HResult(rawValue: rawValue | 0x1000_0000)
    }

    /// The HRESULT of a call that this status (not `STATUS_SUCCESS`) fails: ``hresult``, or `E_FAIL`
    /// (0x80004005) where that is not a failure value (a success or informational status the table does not
    /// know, such as 0x40000000), so that `FAILED()` holds for every failed call.
    public var failureHResult: HResult {
        let mapped = hresult
        return mapped.isFailure ? mapped : .unspecifiedFailure
    }

    /// The Win32 error of each status whose mapping minifltd knows (a subset of `RtlNtStatusToDosError`).
    public static let win32Errors: [NTStatus: UInt32] = [
        .timeout: 258,  // WAIT_TIMEOUT
        .bufferOverflow: 234,  // ERROR_MORE_DATA
        .noMoreEntries: 259,  // ERROR_NO_MORE_ITEMS
        .unsuccessful: 31,  // ERROR_GEN_FAILURE
        .invalidParameter: 87,  // ERROR_INVALID_PARAMETER
        .invalidDeviceRequest: 1,  // ERROR_INVALID_FUNCTION
        .accessDenied: 5,  // ERROR_ACCESS_DENIED
        .bufferTooSmall: 122,  // ERROR_INSUFFICIENT_BUFFER
        .objectNameInvalid: 123,  // ERROR_INVALID_NAME
        .objectNameNotFound: 2,  // ERROR_FILE_NOT_FOUND
        .objectNameCollision: 183,  // ERROR_ALREADY_EXISTS
        .portDisconnected: 6,  // ERROR_INVALID_HANDLE
        .insufficientResources: 1450,  // ERROR_NO_SYSTEM_RESOURCES
        .ioTimeout: 121,  // ERROR_SEM_TIMEOUT
        .notSupported: 50,  // ERROR_NOT_SUPPORTED
        .connectionCountLimit: 1238,  // ERROR_CONNECTION_COUNT_LIMIT
    ]
}

// SPDX-License-Identifier: MIT

/// The answer to a permission event. The Windows originals: FLT_PREOP_SUCCESS_NO_CALLBACK (allow), and
/// FLT_PREOP_COMPLETE with STATUS_ACCESS_DENIED in IoStatus (deny), given through
/// FltCompletePendedPreOperation for an operation the filter pended.
public enum FilterVerdict: Sendable, Hashable, CustomStringConvertible {
    /// The operation proceeds.
    case allow
    /// The operation fails with EPERM.
    case deny

    public var description: String { self == .allow ? "allow" : "deny" }
}

/// Why an event got the answer it got, for the ``FilterRegistration/answered`` callback.
public enum FilterAnswerReason: Sendable, Hashable, CustomStringConvertible {
    /// The filter answered in time.
    case filter
    /// The filter did not answer within the deadline: ``FilterRegistration/timeoutVerdict``.
    case timedOut
    /// The bound of events in flight was full: ``FilterRegistration/fullVerdict``, answered on arrival.
    case full
    /// The filter is stopping: the group's close allowed it.
    case stopping

    public var description: String {
        switch self {
        case .filter: "the filter's verdict"
        case .timedOut: "no verdict within the deadline"
        case .full: "too many events in flight"
        case .stopping: "the filter is stopping"
        }
    }
}

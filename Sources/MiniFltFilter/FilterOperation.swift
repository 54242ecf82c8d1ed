// SPDX-License-Identifier: MIT
import CMiniFltPosix

/// A file operation a filter can see, as fanotify reports it.
///
/// The Windows originals are the major function codes a minifilter registers callbacks for in
/// `FLT_OPERATION_REGISTRATION`.
public enum FilterOperation: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An open (FAN_OPEN_PERM): the pre-operation callback of IRP_MJ_CREATE. Answered allow or deny.
    case open
    /// An open for execution (FAN_OPEN_EXEC_PERM, Linux 5.0): IRP_MJ_ACQUIRE_FOR_SECTION_SYNCHRONIZATION with
    /// PAGE_EXECUTE. The kernel asks this first and then, separately, `open`.
    case exec
    /// A read (FAN_ACCESS_PERM): IRP_MJ_READ. Every read(2) of a watched file waits for an answer, so a
    /// sequential read of a 1 GiB file in 128 KiB chunks asks 8,192 times: only for filters that need it,
    /// and with the decision cache on (an allowed file's later reads are then not asked).
    case readAccess
    /// A close after a write (FAN_CLOSE_WRITE): the post-operation callback of IRP_MJ_CLEANUP, where a
    /// scanner rescans. A notification: it is never answered and nothing waits for it.
    case closeWrite

    /// Whether the kernel waits for an answer.
    public var isPermission: Bool { self != .closeWrite }

    /// The fanotify event bit.
    var mask: UInt64 {
        switch self {
        case .open: CMiniFltPosix_FAN_OPEN_PERM()
        case .exec: CMiniFltPosix_FAN_OPEN_EXEC_PERM()
        case .readAccess: CMiniFltPosix_FAN_ACCESS_PERM()
        case .closeWrite: CMiniFltPosix_FAN_CLOSE_WRITE()
        }
    }

    /// The operation an event's mask reports (a permission event carries exactly one bit).
    init?(mask: UInt64) {
        guard let operation = FilterOperation.allCases.first(where: { mask & $0.mask != 0 }) else { return nil }
        self = operation
    }

    public var description: String {
        switch self {
        case .open: "open"
        case .exec: "exec"
        case .readAccess: "read"
        case .closeWrite: "close-after-write"
        }
    }
}

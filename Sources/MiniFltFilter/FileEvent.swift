// SPDX-License-Identifier: MIT
import CMiniFltPosix
import MiniFltPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An event's key: a number the library gives each event, never reused while the filter runs. Not the
/// event's descriptor, which the kernel reuses as soon as it is closed: a late answer keyed by an fd could
/// land on another event.
public struct FileEventID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "#\(rawValue)" }
}

/// One file operation the filter sees. The Windows originals: FLT_CALLBACK_DATA (the operation and the
/// requestor) and FLT_RELATED_OBJECTS (the file), with FltGetFileNameInformation's name.
public final class FileEvent: Sendable, CustomStringConvertible {
    public let id: FileEventID
    public let operation: FilterOperation
    /// The process that does the operation (its thread-group id).
    public let pid: Int32
    /// The process's effective uid, read from /proc/PID/status the first time it is asked for, then kept:
    /// fanotify reports no uid (its FAN_REPORT_* flags report a pidfd or a thread id, not credentials), and
    /// reading /proc costs every event several microseconds that a filter which never looks at the uid
    /// should not pay. While a permission event waits the opener is blocked in the kernel, so its pid names
    /// it; nil when the process was already gone (a close-after-write notification can outlive it, and so
    /// can an event answered by its deadline).
    public var uid: UInt32? {
        uidCache.withLock { cached in
            if let cached { return cached }
            let value = CMiniFltPosix_process_uid(pid)
            let uid: UInt32? = value >= 0 ? UInt32(truncatingIfNeeded: value) : nil
            cached = .some(uid)
            return uid
        }
    }
    private let uidCache = Mutex<UInt32??>(nil)
    /// The file's path as the kernel names it (readlink of the event's descriptor): bytes, which need not
    /// be UTF-8, at most PATH_MAX - 1 of them. A file deleted since it was opened ends in " (deleted)".
    public let path: [UInt8]
    /// A descriptor of the file, open for reading: reading it raises no new fanotify events, so a scanner
    /// can read the content it decides on. It stays open as long as this object lives (the library closes
    /// it when the last reference goes), so it cannot be reused for another file under the filter's feet.
    public let descriptor: Int32

    /// When the library answers the event itself (CLOCK_MONOTONIC nanoseconds); 0 for events that are not
    /// waiting (notifications, events answered on arrival).
    let deadline: Int64

    /// How long until the library answers a permission event with the timeout verdict: a filter that asks
    /// someone else should wait no longer than this, so that its own wait ends with the event's.
    public var timeRemaining: Duration {
        .nanoseconds(max(0, deadline - MonotonicClock.now))
    }

    init(id: FileEventID, operation: FilterOperation, pid: Int32, path: [UInt8], descriptor: Int32, deadline: Int64 = 0)
    {
        self.deadline = deadline
        self.id = id
        self.operation = operation
        self.pid = pid
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The path for people: invalid UTF-8 replaced (use ``path`` for the bytes).
    public var pathString: String { String(decoding: path, as: UTF8.self) }

    public var description: String { "\(operation) \(id) of \(pathString) by pid \(pid)" }
}

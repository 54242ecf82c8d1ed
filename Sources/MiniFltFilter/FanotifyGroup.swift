// SPDX-License-Identifier: MIT
import CMiniFltPosix
import MiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// The fanotify calls of a filter, each through MiniFltPosix's fault-injection seam (`fanotify_init`,
/// `fanotify_mark(...)`, `read(fanotify)`, `write(fanotify)`), so tests can make them fail.
struct FanotifyGroup: Sendable {
    /// One event as read: its descriptor, the process and the event bits.
    struct RawEvent {
        var descriptor: Int32
        var pid: Int32
        var mask: UInt64

        init(_ slot: CMiniFltPosix_FileEvent) {
            descriptor = slot.fd
            pid = slot.pid
            mask = slot.mask
        }
    }

    let fd: Int32

    /// A content-class group (permission events before the content is read), non-blocking.
    init() throws(FilterError) {
        do {
            fd = try syscall("fanotify_init") { CMiniFltPosix_fanotify_init_filter() }
        } catch {
            let advice =
                error.errno == EPERM
                ? "fanotify_init needs CAP_SYS_ADMIN: run the filter as root, or give it the capability"
                : "fanotify_init failed: \(FilterError.strerror(error.errno))"
            throw FilterError(advice, errno: error.errno)
        }
    }

    /// Marks `target` for `operations`. On a kernel that lacks a flag (EINVAL), the error names the flag and
    /// the kernel that brought it.
    func mark(_ target: WatchTarget, operations: Set<FilterOperation>) throws(FilterError) {
        var mask = operations.reduce(0) { $0 | $1.mask }
        var flags = CMiniFltPosix_FAN_MARK_ADD()
        switch target {
        case .directory, .tree: mask |= CMiniFltPosix_FAN_EVENT_ON_CHILD()
        case .mount: flags |= CMiniFltPosix_FAN_MARK_MOUNT()
        case .filesystem: flags |= CMiniFltPosix_FAN_MARK_FILESYSTEM()
        }
        try mark(path: target.path, flags: flags, mask: mask, what: target, operations: operations)
    }

    /// Marks one directory of a tree (or one file) for `mask`, directly.
    func markDirectory(_ path: [UInt8], operations: Set<FilterOperation>) throws(SystemError) {
        let mask = operations.reduce(0) { $0 | $1.mask } | CMiniFltPosix_FAN_EVENT_ON_CHILD()
        _ = try syscall("fanotify_mark(ADD)") {
            withCPath(path) { CMiniFltPosix_fanotify_mark(fd, CMiniFltPosix_FAN_MARK_ADD(), mask, AT_FDCWD, $0) }
        }
    }

    private func mark(
        path: String,
        flags: UInt32,
        mask: UInt64,
        what: WatchTarget,
        operations: Set<FilterOperation>
    ) throws(FilterError) {
        do {
            _ = try syscall("fanotify_mark(ADD)") { CMiniFltPosix_fanotify_mark(fd, flags, mask, AT_FDCWD, path) }
        } catch  where error.errno == EINVAL {
            // EINVAL is how a kernel says it does not know a flag or an event bit: name the likely one.
            let needs: String
            if case .filesystem = what {
                needs = "FAN_MARK_FILESYSTEM needs Linux 4.20 or later; watch the mount (FAN_MARK_MOUNT) instead"
            } else if operations.contains(.exec) {
                needs = "FAN_OPEN_EXEC_PERM needs Linux 5.0 or later; leave exec out"
            } else {
                needs = "the kernel refused the mark's flags"
            }
            throw FilterError("cannot watch the \(what): \(needs) (EINVAL)", errno: error.errno)
        } catch {
            throw FilterError("cannot watch the \(what): \(FilterError.strerror(error.errno))", errno: error.errno)
        }
    }

    /// Marks the file of `descriptor` so that `mask`'s events of it are dropped in the kernel until it is
    /// modified (an ignored mask, which the kernel clears on modification).
    func ignore(descriptor: Int32, mask: UInt64) throws(SystemError) {
        let flags = CMiniFltPosix_FAN_MARK_ADD() | CMiniFltPosix_FAN_MARK_IGNORED_MASK()
        _ = try syscall("fanotify_mark(IGNORE)") { CMiniFltPosix_fanotify_mark(fd, flags, mask, descriptor, nil) }
    }

    /// Removes the ignored mask of the file `path` names.
    func unignore(path: String, mask: UInt64) throws(SystemError) {
        let flags = CMiniFltPosix_FAN_MARK_REMOVE() | CMiniFltPosix_FAN_MARK_IGNORED_MASK()
        _ = try syscall("fanotify_mark(UNIGNORE)") { CMiniFltPosix_fanotify_mark(fd, flags, mask, AT_FDCWD, path) }
    }

    /// Reads the events ready now into `slots`; returns how many (none when nothing waits: the group is
    /// non-blocking).
    func read(into slots: UnsafeMutableBufferPointer<CMiniFltPosix_FileEvent>) throws(SystemError) -> Int {
        do throws(SystemError) {
            // The shim fills at most `slots.count` slots and returns how many.
            return Int(
                try syscall("read(fanotify)") {
                    CMiniFltPosix_fanotify_read(fd, slots.baseAddress, Int32(clamping: slots.count))
                }
            )
        } catch  where error.errno == EAGAIN {
            return 0
        }
    }

    /// Sends one answer. False when the kernel refused it (ENOENT: it no longer waits for that event).
    @discardableResult
    func respond(descriptor: Int32, _ verdict: FilterVerdict) -> Bool {
        injectable("write(fanotify)") { CMiniFltPosix_fanotify_answer(fd, descriptor, verdict == .allow ? 1 : 0) } == 0
    }

    /// The path of the file open at `descriptor`, as bytes, read into `buffer` (PATH_MAX bytes) and copied
    /// once at its length: the event keeps only the path.
    static func path(of descriptor: Int32, buffer: UnsafeMutableBufferPointer<CChar>) -> [UInt8] {
        let length = CMiniFltPosix_descriptor_path(descriptor, buffer.baseAddress, buffer.count)
        guard length > 0, let start = buffer.baseAddress else { return Array("(unknown file)".utf8) }
        return Array(UnsafeRawBufferPointer(start: start, count: length))
    }
}

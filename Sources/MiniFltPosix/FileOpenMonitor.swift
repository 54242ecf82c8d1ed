// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// fanotify permission events for file opens (FAN_OPEN_PERM): every open of a marked file waits until it
/// is answered allow or deny. Needs CAP_SYS_ADMIN.
package struct FileOpenMonitor: Sendable {
    /// One open waiting for a verdict.
    package struct Event: Sendable {
        /// A descriptor of the file being opened: answer with it, then close it.
        package let fd: Int32
        /// The process that opens the file.
        package let pid: Int32
    }

    package let fd: Int32

    /// - Throws: ``SystemError`` (EPERM without CAP_SYS_ADMIN).
    package init() throws(SystemError) {
        fd = try syscall("fanotify_init") { CMiniFltPosix_fanotify_init() }
    }

    /// Watches opens of `path` (a directory: the files directly in it; a file: itself).
    package func watch(_ path: String) throws(SystemError) {
        _ = try syscall("fanotify_mark(\(path))") { CMiniFltPosix_fanotify_mark_open_perm(fd, path) }
    }

    /// Blocks until opens wait for a verdict, and returns them.
    package func next() throws(SystemError) -> [Event] {
        var raw = [CMiniFltPosix_FileEvent](repeating: CMiniFltPosix_FileEvent(), count: 200)
        let count = try syscall("read(fanotify)") {
            raw.withUnsafeMutableBufferPointer { CMiniFltPosix_fanotify_read(fd, $0.baseAddress, Int32($0.count)) }
        }
        return raw[0..<Int(count)].map { Event(fd: $0.fd, pid: $0.pid) }
    }

    /// The path of the file an event is about, as the kernel names it (from /proc/self/fd): bytes, which
    /// need not be UTF-8. Nil when it cannot be read.
    package func pathBytes(of event: Event) -> [UInt8]? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/fd/\(event.fd)", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return buffer[0..<length].map { UInt8(bitPattern: $0) }
    }

    /// Ends the group: every open still waiting proceeds, and no later open of a marked file waits (a
    /// watcher that cannot go on must not leave opens hanging).
    package func close() { closeDescriptor(fd) }

    /// Answers `event` (the open proceeds or fails with EPERM) and closes its descriptor.
    package func answer(_ event: Event, allow: Bool) {
        _ = CMiniFltPosix_fanotify_respond(fd, event.fd, allow ? 1 : 0)
        closeDescriptor(event.fd)
    }
}

// SPDX-License-Identifier: MIT
import MiniFltPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The files a rescan after a write found unsafe: their next opens are denied without asking, as the issue
/// asks of the port (the sample itself rescans at every open). A file is known by its device and inode, and
/// its entry holds only while its change time is the one the rescan saw: a file changed since (a write,
/// a chmod) or an inode reused for another file is scanned again instead.
final class UnsafeFiles: Sendable {
    struct FileID: Hashable, Sendable {
        let device: UInt64
        let inode: UInt64
    }
    struct ChangeTime: Hashable, Sendable {
        let seconds: Int
        let nanoseconds: Int
    }

    private let files = StateLock<[FileID: ChangeTime]>([:])

    /// The identity and change time of the file open at `descriptor`; nil when fstat fails.
    static func identify(_ descriptor: Int32) -> (FileID, ChangeTime)? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return (
            FileID(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)),
            ChangeTime(seconds: status.st_ctim.tv_sec, nanoseconds: status.st_ctim.tv_nsec)
        )
    }

    /// What a rescan found: an unsafe file is remembered, a safe one forgotten.
    func record(_ file: FileID, changed: ChangeTime, unsafe: Bool) {
        files.withLock { $0[file] = unsafe ? changed : nil }
    }

    /// Whether the file was found unsafe and has not changed since.
    func contains(_ file: FileID, changed: ChangeTime) -> Bool { files.withLock { $0[file] == changed } }

    var count: Int { files.withLock { $0.count } }
}

// SPDX-License-Identifier: MIT
import CMiniFltPosix
import MiniFltPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Remembers allowed files, so that an allowed file is not asked about again until it changes.
///
/// The choice: an ignored mask on the file's inode (FAN_MARK_IGNORED_MASK through the event's descriptor),
/// not a (device, inode, change time) table in user space. With the mask the kernel drops a cached file's
/// events itself: a cached open costs what an unwatched one does, with no event, no context switch and no
/// answer (a table would still cost each open a round trip through this process, about 14 us here against
/// 2 us). And the kernel clears the mask when the file is modified (a write or a truncate: the
/// FS_MODIFY events), which is exactly "until it changes", with no time-stamp granularity to trust. What it
/// does not see: a change of mode or owner, a rename, or a write between the filter's reading the file
/// and its verdict; the close-after-write notification is where a scanner catches the last one.
///
/// The price is the flush: FAN_MARK_FLUSH would drop the directory marks too, so the cache keeps each
/// cached file's handle (name_to_handle_at, a few dozen bytes, no descriptor), and a flush reopens each by
/// handle (O_PATH, which raises no event) to remove its mask. At most ``capacity`` files are cached; past
/// that, allowed files are not cached until the next flush. Cache hits happen in the kernel, so they cannot
/// be counted: `asked` in ``FilterStatistics`` counts the misses.
final class DecisionCache: Sendable {
    static let capacity = 65_536
    static let handleCapacity = 136

    private struct State {
        var handles = Set<[UInt8]>()
        /// One directory descriptor per mount seen, to reopen handles on it.
        var mounts: [Int32: Int32] = [:]
    }

    private let group: FanotifyGroup
    private let mask: UInt64
    private let state = StateLock(State())

    init(group: FanotifyGroup, operations: Set<FilterOperation>) {
        self.group = group
        mask = operations.filter(\.isPermission).reduce(0) { $0 | $1.mask }
    }

    /// Caches the file open at `descriptor` for `operation` (before the allow is sent, so that a write right
    /// after the allow clears it). False when it was not cached (not a regular file, the cache is full, or
    /// the kernel refused).
    func insert(descriptor: Int32, operation: FilterOperation) -> Bool {
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return false }
        var handle = [UInt8](repeating: 0, count: DecisionCache.handleCapacity)
        var mountID: Int32 = 0
        let length = handle.withUnsafeMutableBytes {
            CMiniFltPosix_file_handle(descriptor, $0.baseAddress, Int32($0.count), &mountID)
        }
        guard length > 0 else { return false }
        handle.removeSubrange(Int(length)...)
        return state.withLock { state in
            guard state.handles.count < DecisionCache.capacity else { return false }
            if state.mounts[mountID] == nil {
                let mount = CMiniFltPosix_open_parent_directory(descriptor)
                guard mount >= 0 else { return false }
                state.mounts[mountID] = mount
            }
            do throws(SystemError) {
                try group.ignore(descriptor: descriptor, mask: operation.mask)
            } catch {
                return false
            }
            state.handles.insert(handle + withUnsafeBytes(of: mountID) { Array($0) })
            return true
        }
    }

    /// Forgets every cached file: their next events are asked again. Files deleted since are skipped.
    func flush() {
        state.withLock { state in
            for entry in state.handles {
                let mountID = entry.suffix(4).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                guard let mount = state.mounts[mountID] else { continue }
                let fd = Array(entry.dropLast(4)).withUnsafeBytes { CMiniFltPosix_open_handle(mount, $0.baseAddress) }
                guard fd >= 0 else { continue }
                // fanotify_mark takes no O_PATH descriptor, but a path through /proc/self/fd reaches the file.
                try? group.unignore(path: "/proc/self/fd/\(fd)", mask: mask)
                closeDescriptor(fd)
            }
            state.handles.removeAll()
        }
    }

    /// Files cached now.
    var count: Int { state.withLock { $0.handles.count } }

    /// Closes the mounts' descriptors (after the group is closed).
    func close() {
        state.withLock { state in
            for fd in state.mounts.values { closeDescriptor(fd) }
            state.mounts.removeAll()
        }
    }
}

// SPDX-License-Identifier: MIT
import MiniFltPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps ``WatchTarget/tree(_:)`` targets marked: every directory in them gets a fanotify mark and an inotify
/// watch, and when inotify reports a directory made or moved in, the directory is marked and then walked
/// (what was made in it before the mark is found by the walk). A directory renamed inside the tree is
/// walked again under its new name, which refreshes the paths (``TreePaths``).
///
/// inotify, not a second fanotify group with FAN_REPORT_DFID_NAME: a content-class group cannot report
/// names, and inotify gives the parent's watch and the child's name, which is a path at once.
final class TreeWatcher: Sendable {
    static let events = UInt32(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

    let fd: Int32
    /// Marks one directory: the filter's, which takes its lock so that the group cannot close meanwhile.
    private let mark: @Sendable ([UInt8]) throws(SystemError) -> Void
    private let paths = StateLock(TreePaths())
    /// The roots, walked again when inotify's queue overflowed (its events, and so new directories, were lost).
    private let roots = StateLock<[[UInt8]]>([])
    private let statistics: FilterStatistics

    init(
        statistics: FilterStatistics,
        mark: @escaping @Sendable ([UInt8]) throws(SystemError) -> Void
    ) throws(FilterError) {
        do {
            fd = try syscall("inotify_init1") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        } catch {
            throw FilterError(
                "cannot watch a tree: inotify_init1: \(FilterError.strerror(error.errno))",
                errno: error.errno
            )
        }
        self.mark = mark
        self.statistics = statistics
    }

    /// Watched directories.
    var directoryCount: Int { paths.withLock { $0.count } }

    /// Marks every directory under `root` (the start: a failure stops the filter from starting).
    func add(root: String) throws(FilterError) {
        roots.withLock { $0.append(Array(root.utf8)) }
        do throws(SystemError) {
            try walk(Array(root.utf8), strict: true)
        } catch {
            let advice =
                error.errno == ENOSPC
                ? "too many directories for inotify: raise fs.inotify.max_user_watches"
                : FilterError.strerror(error.errno)
            throw FilterError("cannot watch the tree \(root): \(error.call): \(advice)", errno: error.errno)
        }
    }

    /// Reads what inotify reported and marks new directories. Errors on a single directory (it was
    /// removed before the walk reached it) are skipped.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let length = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard length > 0 else { return }
            var offset = 0
            while offset + 16 <= length {
                let (watch, mask, nameLength) = buffer.withUnsafeBytes {
                    (
                        $0.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                        $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                        Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    )
                }
                let nameBytes = buffer[(offset + 16)..<min(offset + 16 + nameLength, length)]
                let name = Array(nameBytes.prefix { $0 != 0 })
                offset += 16 + nameLength
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    walkAgain()
                } else if mask & UInt32(IN_IGNORED) != 0 {
                    paths.withLock { $0.remove(watch) }
                } else if mask & UInt32(IN_ISDIR) != 0, mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0,
                    let child = paths.withLock({ $0.child(of: watch, named: name) })
                {
                    statistics.treeDirectoriesAdded.add(1, ordering: .relaxed)
                    try? walk(child, strict: false)
                }
            }
        }
    }

    /// After inotify's queue overflowed: its events were lost, so directories made meanwhile are unmarked
    /// and directories removed meanwhile still counted. Marks and watches are idempotent: walking every
    /// root again marks the first, and what the walk did not find and is gone is forgotten
    /// (docs/protocol.md section 8, "trees").
    private func walkAgain() {
        var found = Set<Int32>()
        for root in roots.withLock({ $0 }) { try? walk(root, strict: false, found: &found) }
        // lstat only for what the walk missed: few paths, on this thread.
        paths.withLock { $0.forgetMissing(found: found, exists: TreeWatcher.isDirectory) }
        statistics.treeOverflows.add(1, ordering: .relaxed)
    }

    /// Marks and watches `root` and every directory below it, depth first, without following symbolic links.
    private func walk(_ root: [UInt8], strict: Bool) throws(SystemError) {
        var found = Set<Int32>()
        try walk(root, strict: strict, found: &found)
    }

    /// ``walk(_:strict:)``, adding the watch of each directory marked to `found`.
    private func walk(_ root: [UInt8], strict: Bool, found: inout Set<Int32>) throws(SystemError) {
        var stack = [root]
        while let directory = stack.popLast() {
            do throws(SystemError) {
                try mark(directory)
                let watch = try syscall("inotify_add_watch") {
                    withCPath(directory) { inotify_add_watch(fd, $0, TreeWatcher.events) }
                }
                paths.withLock { $0.record(watch, path: directory) }
                found.insert(watch)
            } catch {
                if strict, directory == root { throw error }
                if strict, error.errno == ENOSPC { throw error }
                continue
            }
            stack.append(contentsOf: TreeWatcher.subdirectories(of: directory))
        }
    }

    /// Whether `path` names a directory (not a symbolic link to one).
    static func isDirectory(_ path: [UInt8]) -> Bool {
        var status = stat()
        return withCPath(path) { lstat($0, &status) } == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// The directories directly in `directory` (not symbolic links to them).
    static func subdirectories(of directory: [UInt8]) -> [[UInt8]] {
        let stream = withCPath(directory) { opendir($0) }
        guard let stream else { return [] }
        defer { closedir(stream) }
        var found: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            let path = directory + [UInt8(ascii: "/")] + name
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) { isDirectory = TreeWatcher.isDirectory(path) }
            if isDirectory { found.append(path) }
        }
        return found
    }

    func close() { closeDescriptor(fd) }
}

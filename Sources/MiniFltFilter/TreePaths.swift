// SPDX-License-Identifier: MIT

/// The directories of watched trees, by inotify watch descriptor: the path each had when it was last
/// walked. A directory renamed inside a tree keeps its watch descriptor, and the walk of its new path
/// records the new path under the same descriptor, for it and everything below it.
package struct TreePaths {
    private var paths: [Int32: [UInt8]] = [:]

    package init() {}

    package var count: Int { paths.count }

    /// Records (or updates) the path of a watched directory.
    package mutating func record(_ watch: Int32, path: [UInt8]) { paths[watch] = path }

    /// The watch is gone (the directory was removed, or its file system unmounted).
    package mutating func remove(_ watch: Int32) { paths[watch] = nil }

    /// Forgets the directories that a walk of every tree did not find (`found` has the watches it found) and
    /// whose recorded path is gone (`exists` says) or now names a directory the walk found under another
    /// watch: after inotify's queue overflowed, the IN_IGNORED of a directory removed meanwhile may have been
    /// lost with the rest, and a new directory may have taken its name. One the walk missed while its path is
    /// still there and no other watch has it (a directory it could not list) stays known, so that what is
    /// made in it is followed.
    package mutating func forgetMissing(found: Set<Int32>, exists: ([UInt8]) -> Bool) {
        let walked = Set(paths.compactMap { found.contains($0.key) ? $0.value : nil })
        paths = paths.filter { found.contains($0.key) || (!walked.contains($0.value) && exists($0.value)) }
    }

    /// The path of the child `name` of the directory `watch`; nil for an unknown watch.
    package func child(of watch: Int32, named name: [UInt8]) -> [UInt8]? {
        guard let parent = paths[watch] else { return nil }
        return parent + [UInt8(ascii: "/")] + name
    }

    package func path(of watch: Int32) -> [UInt8]? { paths[watch] }
}

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

    /// Forgets every directory but `watches` (those a walk of every tree just found): after inotify's queue
    /// overflowed, the IN_IGNORED of a directory removed meanwhile may have been lost with the rest.
    package mutating func keep(only watches: Set<Int32>) { paths = paths.filter { watches.contains($0.key) } }

    /// The path of the child `name` of the directory `watch`; nil for an unknown watch.
    package func child(of watch: Int32, named name: [UInt8]) -> [UInt8]? {
        guard let parent = paths[watch] else { return nil }
        return parent + [UInt8(ascii: "/")] + name
    }

    package func path(of watch: Int32) -> [UInt8]? { paths[watch] }
}

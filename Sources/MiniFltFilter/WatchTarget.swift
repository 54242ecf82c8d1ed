// SPDX-License-Identifier: MIT

/// What a filter watches. On Windows a minifilter attaches to volumes (its InstanceSetup callback decides
/// per volume); fanotify marks objects, which gives these four scopes.
public enum WatchTarget: Sendable, Hashable, CustomStringConvertible {
    /// The files directly in a directory (an inode mark with FAN_EVENT_ON_CHILD), or one file. Marks are
    /// never recursive.
    case directory(String)
    /// A directory and every directory below it, including ones made or moved in later: the library marks
    /// each, and an inotify watch per directory tells it of new ones (``TreeWatcher``). A new directory is
    /// unwatched from its creation until the library marks it: the time inotify takes to deliver the event
    /// plus one fanotify_mark, tens of microseconds on an idle machine, longer under load. Files made in it
    /// meanwhile are found by the walk that follows the mark, but an open that completes inside the window
    /// is not seen. A directory moved out of the tree stays watched until the filter stops.
    case tree(String)
    /// The whole mount that holds the path (FAN_MARK_MOUNT): every file reached through that mount, not
    /// through other bind mounts of the same file system.
    case mount(String)
    /// The whole file system that holds the path (FAN_MARK_FILESYSTEM, Linux 4.20): every mount of it.
    case filesystem(String)

    public var path: String {
        switch self {
        case .directory(let path), .tree(let path), .mount(let path), .filesystem(let path): path
        }
    }

    public var description: String {
        switch self {
        case .directory(let path): "directory \(path)"
        case .tree(let path): "tree \(path)"
        case .mount(let path): "mount of \(path)"
        case .filesystem(let path): "file system of \(path)"
        }
    }
}

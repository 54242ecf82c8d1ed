// SPDX-License-Identifier: MIT
import MiniFltPosix

/// Descriptors of the port's user served by the port's own loop: a filter's fanotify group, read on the
/// thread that also reads its clients' replies. A verdict then costs no thread of its own: the thread that
/// sent the question is the one that reads the answer, and on a busy CPU it is already runnable when the
/// answer comes (two thread switches less per verdict than a reader thread beside the loop).
extension PortEngine {
    /// Watches `descriptor` (level-triggered) and calls `onReadable` on the thread serving I/O while it is
    /// readable. Returns the id that ``removeSource(_:descriptor:)`` takes.
    func addSource(_ descriptor: Int32, onReadable: @escaping @Sendable () -> Void) throws(SystemError) -> UInt64 {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.sources[state.nextID] = onReadable
            return state.nextID
        }
        do {
            try epoll.addLevelTriggered(descriptor, token: EpollToken.source(id).rawValue)
        } catch {
            _ = state.withLock { $0.sources.removeValue(forKey: id) }
            throw error
        }
        return id
    }

    /// Stops watching; a call of its `onReadable` already under way may still finish after this returns.
    func removeSource(_ id: UInt64, descriptor: Int32) {
        epoll.remove(descriptor)
        _ = state.withLock { $0.sources.removeValue(forKey: id) }
    }
}

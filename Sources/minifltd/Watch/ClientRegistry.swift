// SPDX-License-Identifier: MIT
import MiniFltPosix
import MiniFltServer
import Synchronization

/// The clients the example filter's connect routine accepted, for the open watcher, and which one gets
/// each verdict request (docs/protocol.md section 8): the client with the fewest requests outstanding, the
/// earliest connected on a tie. One client gets every request it can take at once (its outstanding
/// FilterGetMessage calls); with several, a slow one does not hold up the others.
final class ClientRegistry: Sendable {
    private struct Entry {
        let port: ClientPort
        var outstanding = 0
    }

    private let entries = StateLock<[Entry]>([])
    private let observer = StateLock<(@Sendable (ClientPort, _ connected: Bool) -> Void)?>(nil)

    func add(_ port: ClientPort) {
        entries.withLock { $0.append(Entry(port: port)) }
        observer.withLock { $0 }?(port, true)
    }

    func remove(_ port: ClientPort) {
        let removed = entries.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.port === port }) else { return false }
            entries.remove(at: index)
            return true
        }
        if removed { observer.withLock { $0 }?(port, false) }
    }

    /// Calls `handler` for each client connected now and for each connect and disconnect from here on.
    func observe(_ handler: @escaping @Sendable (ClientPort, _ connected: Bool) -> Void) {
        let present = entries.withLock { entries in
            observer.withLock { $0 = handler }
            return entries.map(\.port)
        }
        for port in present { handler(port, true) }
    }

    /// The client for the next verdict request, counted as outstanding until ``checkIn(_:)``; nil when none
    /// is connected.
    func checkOut() -> ClientPort? {
        entries.withLock { entries in
            guard let index = entries.indices.min(by: { entries[$0].outstanding < entries[$1].outstanding }) else {
                return nil
            }
            entries[index].outstanding += 1
            return entries[index].port
        }
    }

    func checkIn(_ port: ClientPort) {
        entries.withLock { entries in
            if let index = entries.firstIndex(where: { $0.port === port }) { entries[index].outstanding -= 1 }
        }
    }
}

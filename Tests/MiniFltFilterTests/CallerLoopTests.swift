// SPDX-License-Identifier: MIT
import Foundation
import MiniFltFilter
import MiniFltPosix
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// MiniFilter.startWithoutReader: the caller's loop reads the group (minifltd's port loop does), as root.
@Suite("MiniFilter read by the caller's event loop", .serialized)
struct CallerLoopTests {
    /// A loop of the test's own: polls the filter's descriptor and reads what is ready, until the filter stops.
    final class Loop: Sendable {
        private let thread: StateLock<PosixThread?> = StateLock(nil)

        init(_ filter: MiniFilter) {
            thread.withLock {
                $0 = PosixThread(name: "test-loop") {
                    var descriptor = pollfd(fd: filter.eventDescriptor, events: Int16(POLLIN), revents: 0)
                    while true {
                        _ = poll(&descriptor, 1, 20)
                        guard filter.readAvailableEvents() else { return }
                    }
                }
            }
        }

        func join() { thread.withLock { $0 }?.join() }
    }

    @Test("no reader thread: nothing is read until the caller reads; then events come on the caller's thread")
    func callerReads() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let file = try folder.file("read-by-caller.txt", "caller\n")
        let collector = EventCollector()
        let threads = StateLock<Set<String>>([])
        let filterBox = StateLock<MiniFilter?>(nil)
        var registration = FilterRegistration(operations: [.open], targets: [.directory(folder.path)]) { event in
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
            _ = threads.withLock { $0.insert(name.trimmingCharacters(in: .newlines)) }
            collector.add(event)
            _ = filterBox.withLock { $0 }?.reply(to: event, .deny)
        }
        registration.cacheAllowed = false
        let filter = try MiniFilter(registration)
        filterBox.withLock { $0 = filter }
        try filter.startWithoutReader()

        let opener = try Opener(cat: file)
        // The open waits in the kernel's queue: no thread of the library reads it.
        var ready = pollfd(fd: filter.eventDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 5000) == 1)
        PosixThread.sleep(for: .milliseconds(100))
        #expect(collector.count == 0, "the library read an event without its reader thread")

        let loop = Loop(filter)
        let result = try #require(opener.finish())
        #expect(result.status == 1 && result.output.contains("Operation not permitted"), "\(result)")
        #expect(threads.withLock { $0 } == ["test-loop"])
        filter.stop()
        loop.join()
        #expect(!filter.readAvailableEvents(), "a stopped filter read")
    }
}

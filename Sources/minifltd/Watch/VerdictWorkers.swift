// SPDX-License-Identifier: MIT
import DequeModule
import MiniFltFilter
import MiniFltPosix

/// The threads that take watched opens to the client: ClientPort.send blocks its thread until the reply or
/// the timeout, so simultaneous opens go out at once only from as many threads. There are as many as the
/// filter may hold events in flight (`--max-opens-in-flight`), so an admitted event never waits for a
/// thread; the queue holds at most that many.
final class VerdictWorkers: Sendable {
    private struct State {
        var queue = Deque<FileEvent>()
        var handler: (@Sendable (FileEvent) -> Void)?
    }

    private let state = ConditionLock(State())
    let count: Int

    init(count: Int) { self.count = count }

    /// Starts the threads, each running `handler` for one event at a time.
    func start(_ handler: @escaping @Sendable (FileEvent) -> Void) {
        state.withLock { $0.handler = handler }
        for index in 0..<count {
            PosixThread(name: "minifltd-vrd\(index)") { [self] in
                while true {
                    guard
                        let (event, handler) = state.wait({ state -> (FileEvent, @Sendable (FileEvent) -> Void)? in
                            guard let handler = state.handler, let event = state.queue.popFirst() else { return nil }
                            return (event, handler)
                        })
                    else { continue }
                    handler(event)
                }
            }.detach()
        }
    }

    /// Hands an event to a thread; never blocks (called on the filter's reader thread).
    func enqueue(_ event: FileEvent) {
        state.withLock { $0.queue.append(event) }
        state.signal()
    }
}

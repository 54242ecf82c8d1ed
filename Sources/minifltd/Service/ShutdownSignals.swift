import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT end the daemon gracefully; a second one ends it at once.
///
/// `sigwait` does not work under `dispatchMain()`, so the signals are ignored and observed with Dispatch
/// sources, on a queue of their own (never the routine queue, which the shutdown waits on).
enum ShutdownSignals {
    /// Kept alive for the life of the process.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func install(logger: Logger, shutdown: @escaping @Sendable () -> Void) {
        signal(SIGPIPE, SIG_IGN)
        let queue = DispatchQueue(label: "minifltd.signals", qos: .utility)
        let state = SignalState()
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let name = number == SIGTERM ? "SIGTERM" : "SIGINT"
                guard state.first() else {
                    logger.warning("\(name) again: exiting without waiting for the disconnect routines")
                    exit(1)
                }
                logger.info("\(name): no longer accepting; disconnecting clients")
                DispatchQueue.global(qos: .utility).async {
                    shutdown()
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal already arrived; touched only on the signal queue.
    private final class SignalState: @unchecked Sendable {
        private var seen = false
        func first() -> Bool {
            defer { seen = true }
            return !seen
        }
    }
}

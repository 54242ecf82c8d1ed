// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltLogging
import MiniFltPosix
import MiniFltServer

#if canImport(Glibc)
import Glibc
#endif

/// What each signal does to the daemon. None that can be caught ends it without a log line:
/// - SIGTERM, SIGINT: stop gracefully (stop accepting, DISCONNECT every client, wait for the disconnect
///   routines, exit 0); the same signal again: exit 1 at once.
/// - SIGQUIT: logged, then its default action (exit with a core dump), for debugging a stuck daemon.
/// - SIGHUP: logged; flushes the decision cache of watched opens; otherwise ignored (reloading the
///   configuration is not implemented yet). systemd counts a
///   death by SIGHUP as clean, so letting it kill the daemon would also defeat `Restart=on-failure`.
/// - SIGUSR1, SIGUSR2: log the port's counters.
/// - SIGALRM, SIGIO, SIGPWR, SIGPROF, SIGVTALRM, SIGXCPU, SIGXFSZ, SIGSTKFLT and the real-time signals
///   SIGRTMIN..SIGRTMAX: logged and ignored (each would otherwise end the daemon with no word).
/// - SIGPIPE: ignored silently; a client that went away is seen as an error on its socket.
///
/// Signals arrive on one pipe read by a thread of their own (``SignalPipe``; never the routine queue, which
/// the shutdown waits on). `sigwait` does not work under `dispatchMain()`, and a Dispatch signal source costs
/// a descriptor each.
enum Signals {
    /// Signals logged and ignored.
    static var ignored: [Int32] {
        [SIGALRM, SIGIO, SIGPWR, SIGPROF, SIGVTALRM, SIGXCPU, SIGXFSZ, SIGSTKFLT] + Array(SignalName.realtime)
    }

    /// - Parameters:
    ///   - shutdown: the graceful stop; runs once, off the signal queue, then the daemon exits 0.
    ///   - counters: the line SIGUSR1 and SIGUSR2 log.
    ///   - flush: writes out the log before the process exits (briefly: a blocked sink must not hold it).
    ///   - hangup: what SIGHUP does besides being logged (flushing the decision cache of watched opens); the
    ///     words it returns are added to the log line.
    static func install(
        logger: Logger,
        shutdown: @escaping @Sendable () -> Void,
        counters: @escaping @Sendable () -> String,
        flush: @escaping @Sendable () -> Void,
        hangup: @escaping @Sendable () -> String? = { nil }
    ) {
        let exit: @Sendable (Int32) -> Never = { status in
            flush()
            Glibc.exit(status)
        }
        signal(SIGPIPE, SIG_IGN)
        let state = SignalState()
        let event: Logger.Metadata = [PortEvent.metadataKey: "\(PortEvent.signalReceived.rawValue)"]
        var handlers: [Int32: @Sendable (Int32, String) -> Void] = [:]
        func observe(_ numbers: [Int32], _ handler: @escaping @Sendable (Int32, String) -> Void) {
            for number in numbers { handlers[number] = handler }
        }
        observe([SIGTERM, SIGINT]) { _, name in
            guard state.first() else {
                logger.warning("\(name) again: exiting without waiting for the disconnect routines", metadata: event)
                exit(1)
            }
            logger.info("\(name): no longer accepting; disconnecting clients")
            DispatchQueue.global(qos: .utility).async {
                shutdown()
                exit(0)
            }
        }
        observe([SIGQUIT]) { number, name in
            logger.critical(
                "\(name): exiting at once with a core dump, without disconnecting clients",
                metadata: event.merging(["signal": "\(name)"]) { $1 }
            )
            flush()
            // To the process, not this thread: Dispatch's worker threads block signals, and so may others.
            signal(number, SIG_DFL)
            kill(getpid(), number)
        }
        observe([SIGHUP]) { _, name in
            let done = hangup().map { "; \($0)" } ?? ""
            logger.notice(
                "\(name): reloading the configuration is not supported yet; ignored (restart minifltd to apply new options)\(done)",
                metadata: event.merging(["signal": "\(name)"]) { $1 }
            )
        }
        observe([SIGUSR1, SIGUSR2]) { _, name in
            logger.notice("\(name): \(counters())", metadata: event.merging(["signal": "\(name)"]) { $1 })
        }
        observe(ignored) { _, name in
            logger.notice("\(name): ignored", metadata: event.merging(["signal": "\(name)"]) { $1 })
        }
        let table = handlers
        do throws(SystemError) {
            try SignalPipe.start(Array(table.keys)) { number in table[number]?(number, SignalName.of(number)) }
        } catch {
            logger.critical("cannot catch signals: \(error); SIGTERM will end minifltd without disconnecting clients")
        }
    }

    /// Whether a stopping signal already arrived; touched only on the signal thread.
    private final class SignalState: @unchecked Sendable {
        private var seen = false
        func first() -> Bool {
            defer { seen = true }
            return !seen
        }
    }
}

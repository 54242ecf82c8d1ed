// SPDX-License-Identifier: MIT
import Logging
import MiniFltServer

#if canImport(Glibc)
import Glibc
#endif

/// The descriptors minifltd may hold: as many as the hard limit allows, since every client, every handshake
/// and every watched open holds one, and running out stops more than the one that ran out.
enum DescriptorLimit {
    /// Descriptors the daemon needs besides clients and handshakes: epoll, timers, the journal, the
    /// fanotify group, its event descriptors, and the runtime's own.
    static let overhead = 64

    /// Raises the soft RLIMIT_NOFILE to the hard limit, and warns when the configuration cannot fit in it.
    static func raise(for configuration: ServerPortConfiguration, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let needed = configuration.maxConnections + configuration.maxPendingHandshakes + overhead
        if needed > Int(clamping: limit.rlim_cur) {
            logger.warning(
                "--max-connections \(configuration.maxConnections) and --max-pending-handshakes \(configuration.maxPendingHandshakes) need about \(needed) descriptors, but the limit is \(limit.rlim_cur): connects will fail with EMFILE before the limits are reached; raise LimitNOFILE= (or ulimit -n) or lower the options"
            )
        }
    }
}

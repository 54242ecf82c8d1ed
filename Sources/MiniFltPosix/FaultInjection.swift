// SPDX-License-Identifier: MIT
#if DEBUG
import Synchronization
#endif

#if canImport(Glibc)
import Glibc
#endif

/// The one seam every system call of the server, the client and the open watcher goes through
/// (``syscall(_:_:)`` and ``injectable(_:_:)``), so that tests can make a call fail as the kernel would,
/// with no `prlimit` and no luck: EMFILE on the third accept, ENOMEM on a recv, EINTR on every epoll_wait.
///
/// Debug builds only (release builds compile the seam to the bare call). A test sets, for the process it
/// starts, `MINIFLT_INJECT_FAULTS` to rules separated by commas, each `CALL=ERRNO[@FIRST][*COUNT]`: the call's
/// name as the code names it (`accept4`, `recv`, `send`, `epoll_wait`, `epoll_ctl`, `read(fanotify)`, ...; a
/// name given without parentheses matches every variant, so `epoll_ctl` covers `epoll_ctl(ADD)`), an errno
/// name (`EMFILE`, `ENFILE`, `ENOMEM`, `ENOBUFS`, `EAGAIN`, `EINTR`, `EPIPE`, `ECONNRESET`, `EINVAL`: how a
/// kernel refuses a flag it lacks), the first call
/// that fails (1 by default), and how many fail from there (1 by default; 0 for every one).
package enum FaultInjection {
    #if DEBUG
    struct Rule {
        var call: String
        var errno: Int32
        var first: Int
        var count: Int
        var seen = 0
    }

    /// Parsed once, from the environment. A StateLock, not a bare Mutex, so that ThreadSanitizer builds see
    /// its locking (ConditionLock.swift says why).
    static let rules: StateLock<[Rule]>? = {
        guard let text = getenv("MINIFLT_INJECT_FAULTS").map({ String(cString: $0) }), !text.isEmpty else { return nil }
        return StateLock(text.split(separator: ",").compactMap(parse))
    }()

    static let errnoNames: [String: Int32] = [
        "EMFILE": EMFILE, "ENFILE": ENFILE, "ENOMEM": ENOMEM, "ENOBUFS": ENOBUFS, "EAGAIN": EAGAIN,
        "EINTR": EINTR, "EPIPE": EPIPE, "ECONNRESET": ECONNRESET, "EINVAL": EINVAL,
    ]

    /// `accept4=EMFILE@3*2`.
    static func parse(_ text: Substring) -> Rule? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        var rest = Substring(parts[1])
        var count = 1
        if let star = rest.firstIndex(of: "*") {
            count = Int(rest[rest.index(after: star)...]) ?? 1
            rest = rest[..<star]
        }
        var first = 1
        if let at = rest.firstIndex(of: "@") {
            first = Int(rest[rest.index(after: at)...]) ?? 1
            rest = rest[..<at]
        }
        guard let number = errnoNames[String(rest)] else { return nil }
        return Rule(call: String(parts[0]), errno: number, first: first, count: count)
    }

    /// The errno to fail this call of `call` with, if a rule says so.
    static func fault(for call: String) -> Int32? {
        let base = call.prefix { $0 != "(" }
        return rules?.withLock { rules in
            for index in rules.indices {
                let rule = rules[index]
                guard rule.call == call || rule.call == base else { continue }
                rules[index].seen += 1
                let nth = rules[index].seen
                if nth >= rule.first, rule.count == 0 || nth < rule.first + rule.count { return rule.errno }
            }
            return nil
        }
    }
    #endif
}

/// Makes one raw system call through the fault-injection seam: the call's own result, or -1 with `errno` set
/// when a test injected a fault for it (debug builds; see ``FaultInjection``). For calls whose callers
/// handle errno themselves (`EAGAIN` from a non-blocking socket, `EMFILE` from accept).
@inline(__always)
package func injectable<T: FixedWidthInteger>(_ name: @autoclosure () -> String, _ body: () -> T) -> T {
    #if DEBUG
    if FaultInjection.rules != nil, let injected = FaultInjection.fault(for: name()) {
        errno = injected
        return -1
    }
    #endif
    return body()
}

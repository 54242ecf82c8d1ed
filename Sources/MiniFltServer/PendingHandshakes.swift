import DequeModule

/// The connections accepted and not yet through CONNECT, with their handshake deadlines.
///
/// Every handshake has the same timeout, so admission order is deadline order and a deque is the deadline
/// queue. A handshake that ends early (CONNECT came, or the client left) leaves its entry behind, because
/// taking it out of the middle would shift the deque; the entries are compacted once the stale ones
/// outnumber the live ones. The storage so stays within twice the live handshakes, plus a constant, whatever
/// the timeout: with `--handshake-timeout 3600`, entries left until they expired grew the daemon by megabytes
/// under connect-and-close churn, for an hour.
struct PendingHandshakes {
    private var live: Set<UInt64> = []
    /// Admission order, which is deadline order; may hold ids whose handshake ended.
    private var deadlines: Deque<(deadline: Int64, id: UInt64)> = []

    /// Handshakes pending now.
    var count: Int { live.count }

    /// Entries held, live or stale: what the pending handshakes cost.
    var storedEntryCount: Int { deadlines.count }

    /// Adds a handshake; `deadline` must not be earlier than any added before.
    mutating func insert(_ id: UInt64, deadline: Int64) {
        live.insert(id)
        deadlines.append((deadline, id))
    }

    /// Ends a handshake; false when it had ended already (it expired, or was counted out before).
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        guard live.remove(id) != nil else { return false }
        if deadlines.count > 2 * live.count + 32 {
            deadlines.removeAll { !live.contains($0.id) }
        }
        return true
    }

    /// Ends and returns the handshakes whose deadline is `now` or earlier, oldest first.
    mutating func removeExpired(asOf now: Int64) -> [UInt64] {
        var expired: [UInt64] = []
        while let first = deadlines.first, first.deadline <= now {
            deadlines.removeFirst()
            if live.remove(first.id) != nil { expired.append(first.id) }
        }
        return expired
    }

    /// The deadline of the oldest pending handshake.
    mutating func nextDeadline() -> Int64? {
        while let first = deadlines.first, !live.contains(first.id) { deadlines.removeFirst() }
        return deadlines.first?.deadline
    }
}

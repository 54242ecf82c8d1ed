// SPDX-License-Identifier: MIT
import DequeModule

/// The connections accepted and not yet through CONNECT: their deadlines, and which uid holds each.
///
/// Every handshake has the same timeout, so admission order is deadline order and a deque is the deadline
/// queue. A handshake that ends early (CONNECT came, or the client left) leaves its entry behind, because
/// taking it out of the middle would shift the deque; the entries are compacted once the stale ones
/// outnumber the live ones. The storage so stays within twice the live handshakes, plus a constant, whatever
/// the timeout: with `--handshake-timeout 3600`, entries left until they expired grew the daemon by megabytes
/// under connect-and-close churn, for an hour.
///
/// Each uid's share is kept too, in the same way, so that a full cap costs the uid holding the most its
/// oldest handshake (protocol section 3) instead of pausing the listener for everyone: one admitted uid that
/// held the cap with silent sockets kept root out for as long as it liked.
package struct PendingHandshakes {
    /// One uid's pending handshakes, in admission order; `ids` may hold ended ones.
    private struct Share {
        var count = 0
        var ids: Deque<UInt64> = []
    }

    /// Live handshakes, and the uid of each.
    private var live: [UInt64: UInt32] = [:]
    /// Admission order, which is deadline order; may hold ids whose handshake ended.
    private var deadlines: Deque<(deadline: Int64, id: UInt64)> = []
    /// Only uids with a live handshake.
    private var shares: [UInt32: Share] = [:]

    package init() {}

    /// Handshakes pending now.
    package var count: Int { live.count }

    /// Entries held, live or stale: what the pending handshakes cost.
    package var storedEntryCount: Int { deadlines.count + shares.values.reduce(0) { $0 + $1.ids.count } }

    /// Adds a handshake; `deadline` must not be earlier than any added before.
    package mutating func insert(_ id: UInt64, uid: UInt32, deadline: Int64) {
        live[id] = uid
        deadlines.append((deadline, id))
        shares[uid, default: Share()].count += 1
        shares[uid, default: Share()].ids.append(id)
    }

    /// Ends a handshake; false when it had ended already (it expired, or was shed).
    @discardableResult
    package mutating func remove(_ id: UInt64) -> Bool {
        guard let uid = live.removeValue(forKey: id) else { return false }
        leaveShare(of: uid)
        if deadlines.count > 2 * live.count + 32 {
            deadlines.removeAll { live[$0.id] == nil }
        }
        return true
    }

    private mutating func leaveShare(of uid: UInt32) {
        guard var share = shares.removeValue(forKey: uid) else { return }
        share.count -= 1
        guard share.count > 0 else { return }
        if share.ids.count > 2 * share.count + 8 {
            share.ids.removeAll { live[$0] == nil }
        }
        shares[uid] = share
    }

    /// Ends and returns the handshakes whose deadline is `now` or earlier, oldest first.
    package mutating func removeExpired(asOf now: Int64) -> [UInt64] {
        var expired: [UInt64] = []
        while let first = deadlines.first, first.deadline <= now {
            deadlines.removeFirst()
            if let uid = live.removeValue(forKey: first.id) {
                leaveShare(of: uid)
                expired.append(first.id)
            }
        }
        return expired
    }

    /// The deadline of the oldest pending handshake.
    package mutating func nextDeadline() -> Int64? {
        while let first = deadlines.first, live[first.id] == nil { deadlines.removeFirst() }
        return deadlines.first?.deadline
    }

    /// The handshake to shed when the cap is full: the oldest of the uid that holds the most (of those that
    /// hold equally many, the one waiting longest). Costs one look per uid with a pending handshake.
    package mutating func oldestOfLargestShare() -> UInt64? {
        var chosen: (count: Int, id: UInt64)?
        for uid in Array(shares.keys) {
            guard var share = shares[uid] else { continue }
            while let first = share.ids.first, live[first] == nil { share.ids.removeFirst() }
            shares[uid] = share
            guard let oldest = share.ids.first else { continue }
            if let current = chosen,
                current.count > share.count || (current.count == share.count && current.id < oldest)
            {
                continue
            }
            chosen = (share.count, oldest)
        }
        return chosen?.id
    }
}

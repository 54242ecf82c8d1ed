// SPDX-License-Identifier: MIT
import MiniFltServer
import Testing

/// The rule of protocol section 3 for a full pending-handshake cap, and the bound on what the deadlines keep.
@Suite("Pending handshakes: who is shed, and what stays stored")
struct PendingHandshakesTests {
    @Test("the uid holding the most loses its oldest; of uids holding equally many, the one waiting longest")
    func shedRule() {
        var pending = PendingHandshakes()
        pending.insert(1, uid: 0, deadline: 10)
        pending.insert(2, uid: 1000, deadline: 11)
        pending.insert(3, uid: 1000, deadline: 12)
        pending.insert(4, uid: 1001, deadline: 13)
        #expect(pending.oldestOfLargestShare() == 2)
        pending.remove(2)
        // 0, 1000 and 1001 now hold one each: root's has waited longest.
        #expect(pending.oldestOfLargestShare() == 1)
        pending.remove(1)
        #expect(pending.oldestOfLargestShare() == 3)
        #expect(pending.count == 2)
    }

    @Test("expired and ended handshakes are never chosen, and the deadline queue skips them")
    func endedAreSkipped() {
        var pending = PendingHandshakes()
        for id in UInt64(1)...6 { pending.insert(id, uid: id <= 3 ? 1000 : 1001, deadline: Int64(id)) }
        #expect(pending.removeExpired(asOf: 2) == [1, 2])
        #expect(pending.remove(2) == false)
        pending.remove(3)
        // 1000 holds none now; 1001 holds 4, 5 and 6.
        #expect(pending.oldestOfLargestShare() == 4)
        pending.remove(4)
        #expect(pending.nextDeadline() == 5)
    }

    @Test("storage stays within twice the live handshakes and a constant, through any number that came and went")
    func storageIsBounded() {
        var pending = PendingHandshakes()
        for id in UInt64(1)...100_000 {
            pending.insert(id, uid: UInt32(id % 3), deadline: Int64(id))
            if id > 10 { pending.remove(id - 10) }
        }
        #expect(pending.count == 10)
        #expect(pending.storedEntryCount <= 2 * 10 + 32 + 3 * (2 * 4 + 8))
    }
}

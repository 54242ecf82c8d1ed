// SPDX-License-Identifier: MIT
import MiniFltFilter
import Testing

/// The event life cycle without fanotify: pending, then answered exactly once.
@Suite("PendingVerdicts: each event answered exactly once")
struct PendingVerdictsTests {
    @Test("an answer is given once; a second answer and an unknown key give nothing")
    func answeredOnce() {
        var table = PendingVerdicts<Int>(capacity: 4)
        guard case .pending(let id) = table.admit(deadline: 100, { _ in 7 }) else {
            Issue.record("not admitted")
            return
        }
        let answer = table.answer(id, .deny)
        #expect(answer?.payload == 7 && answer?.verdict == .deny && answer?.reason == .filter)
        #expect(table.answer(id, .allow) == nil)
        #expect(table.answer(FileEventID(rawValue: 999), .allow) == nil)
        #expect(table.count == 0)
    }

    @Test("past the bound an event is refused, and a place freed admits the next")
    func bound() {
        var table = PendingVerdicts<Int>(capacity: 2)
        var ids: [FileEventID] = []
        for value in 0..<2 {
            if case .pending(let id) = table.admit(deadline: 100, { _ in value }) { ids.append(id) }
        }
        #expect(ids.count == 2 && table.isFull)
        #expect(table.admit(deadline: 100, { _ in 9 }) == .full)
        _ = table.answer(ids[0], .allow)
        #expect(!table.isFull)
        #expect(table.admit(deadline: 100, { _ in 3 }) != .full)
    }

    @Test("deadlines expire in arrival order, only once passed, and a late answer after expiry gives nothing")
    func deadlines() {
        var table = PendingVerdicts<Int>(capacity: 8)
        var ids: [FileEventID] = []
        for (value, deadline) in [(0, 10), (1, 20), (2, 30)] {
            if case .pending(let id) = table.admit(deadline: Int64(deadline), { _ in value }) { ids.append(id) }
        }
        _ = table.answer(ids[0], .allow)
        #expect(table.nextDeadline() == 20)
        #expect(table.expire(now: 15, verdict: .allow).isEmpty)
        let expired = table.expire(now: 25, verdict: .deny)
        #expect(expired.map(\.payload) == [1] && expired.first?.reason == .timedOut && expired.first?.verdict == .deny)
        #expect(table.answer(ids[1], .allow) == nil, "a late answer reached an expired event")
        #expect(table.nextDeadline() == 30)
    }

    @Test("keys are never reused, so a late answer cannot reach a newer event")
    func keysNotReused() {
        var table = PendingVerdicts<Int>(capacity: 1)
        var seen = Set<FileEventID>()
        for value in 0..<1000 {
            guard case .pending(let id) = table.admit(deadline: 0, { _ in value }) else { continue }
            #expect(seen.insert(id).inserted)
            #expect(table.expire(now: 1, verdict: .allow).count == 1)
        }
        #expect(seen.count == 1000)
    }

    @Test("the shutdown drains every waiting event as allowed, and answers after it give nothing")
    func drain() {
        var table = PendingVerdicts<Int>(capacity: 4)
        var ids: [FileEventID] = []
        for value in 0..<3 {
            if case .pending(let id) = table.admit(deadline: 5, { _ in value }) { ids.append(id) }
        }
        let drained = table.drain()
        #expect(drained.map(\.payload) == [0, 1, 2] && drained.allSatisfy { $0.reason == .stopping })
        #expect(ids.allSatisfy { table.answer($0, .deny) == nil })
        #expect(table.nextDeadline() == nil)
    }
}

@Suite("TreePaths: the directories of watched trees")
struct TreePathsTests {
    @Test("a child's path is its parent's and its name; a renamed directory's walk updates its path")
    func paths() {
        var paths = TreePaths()
        paths.record(1, path: Array("/t".utf8))
        #expect(paths.child(of: 1, named: [0x61, 0xFF]) == Array("/t/".utf8) + [0x61, 0xFF])
        paths.record(2, path: Array("/t/a".utf8))
        paths.record(2, path: Array("/t/b".utf8))
        #expect(paths.path(of: 2) == Array("/t/b".utf8))
        paths.remove(2)
        #expect(paths.child(of: 2, named: [0x61]) == nil)
        #expect(paths.count == 1)
    }

    @Test("after an overflow's walk, directories the walk did not find are forgotten when their path is gone")
    func forgetMissing() {
        var paths = TreePaths()
        for watch in Int32(1)...4 { paths.record(watch, path: Array("/t/\(watch)".utf8)) }
        // 2 is gone; 4 was not found by the walk (it could not be listed) but is still there.
        paths.forgetMissing(found: [1, 3, 9]) { $0 == Array("/t/4".utf8) }
        #expect(paths.count == 3)
        #expect(paths.path(of: 2) == nil)
        #expect(paths.path(of: 3) == Array("/t/3".utf8))
        #expect(paths.path(of: 4) == Array("/t/4".utf8))
    }

    @Test("after an overflow's walk, a directory removed and made again under its name is counted once")
    func forgetReplaced() {
        var paths = TreePaths()
        paths.record(1, path: Array("/t".utf8))
        paths.record(2, path: Array("/t/b".utf8))
        // /t/b was removed and made again while the queue overflowed: the walk marked the new one, watch 5.
        paths.record(5, path: Array("/t/b".utf8))
        paths.forgetMissing(found: [1, 5]) { _ in true }
        #expect(paths.count == 2)
        #expect(paths.path(of: 2) == nil)
        #expect(paths.path(of: 5) == Array("/t/b".utf8))
    }
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltFilter
import MiniFltPosix
import Testing

/// MiniFilter on real fanotify (as root): the files are opened by child processes, since the test process
/// is the filter and its own opens are never asked about.
@Suite("MiniFilter: file operations answered through fanotify", .serialized)
struct FilterTests {
    @Test(
        "events carry the operation, pid, uid, path and a readable descriptor; answers come in any order, from any thread"
    )
    func answersInAnyOrder() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let first = try folder.file("first.txt", "one\n")
        let second = try folder.file("second.txt", "two\n")
        let collector = EventCollector()
        var registration = collector.registration([.open], [.directory(folder.path)])
        registration.cacheAllowed = false
        let filter = try MiniFilter(registration)
        try filter.start()
        defer { filter.stop() }

        let openers = [try Opener(cat: first), try Opener(cat: second)]
        let events = try #require(collector.wait(for: 2))
        let byPath = Dictionary(uniqueKeysWithValues: events.map { ($0.pathString, $0) })
        let one = try #require(byPath[first])
        let two = try #require(byPath[second])
        #expect(one.operation == .open && one.pid == openers[0].pid && one.uid == 0)
        #expect(one.path == Array(first.utf8))
        #expect(one.timeRemaining > .seconds(1) && one.timeRemaining <= .seconds(5))
        // The descriptor reads the file, and reading it raises no event.
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(pread(one.descriptor, &buffer, 16, 0) == 4 && Array(buffer[0..<4]) == Array("one\n".utf8))
        // The second first, from another thread; then the first, denied.
        let answering = Thread { _ = filter.reply(to: two, .allow) }
        answering.start()
        #expect(eventually { filter.inFlight == 1 })
        #expect(filter.reply(to: one, .deny))
        #expect(!filter.reply(to: one, .allow), "a second answer was taken")
        let denied = try #require(openers[0].finish())
        let allowed = try #require(openers[1].finish())
        #expect(denied.status == 1 && denied.output.contains("Operation not permitted"), "\(denied)")
        #expect(allowed.status == 0 && allowed.output == "two\n")
        #expect(collector.count == 2, "reading the event's descriptor raised an event")
        #expect(filter.statistics.snapshot.lateAnswers == 1)
    }

    @Test("an event nobody answers gets the timeout verdict at its deadline, and the late answer is ignored")
    func deadline() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let file = try folder.file("slow.txt")
        for verdict in [FilterVerdict.allow, .deny] {
            let collector = EventCollector()
            var registration = collector.registration([.open], [.directory(folder.path)])
            registration.deadline = .milliseconds(300)
            registration.timeoutVerdict = verdict
            let filter = try MiniFilter(registration)
            try filter.start()
            let opener = try Opener(cat: file)
            let result = try #require(opener.finish())
            #expect(result.status == (verdict == .allow ? 0 : 1))
            #expect(result.took >= .milliseconds(250) && result.took < .seconds(3), "\(result.took)")
            let event = try #require(collector.wait(for: 1)?.first)
            #expect(!filter.reply(to: event, .deny), "a late answer was taken")
            let snapshot = filter.statistics.snapshot
            #expect(snapshot.timeouts == 1 && snapshot.lateAnswers == 1 && snapshot.answered == 0)
            #expect(collector.answered.withLock { $0.map(\.2) } == [.timedOut])
            filter.stop()
        }
    }

    @Test("simultaneous opens nobody answers wait at the same time, not one after another")
    func simultaneousDeadlines() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let files = try (0..<6).map { try folder.file("f\($0).txt") }
        let collector = EventCollector()
        var registration = collector.registration([.open], [.directory(folder.path)])
        registration.deadline = .milliseconds(500)
        let filter = try MiniFilter(registration)
        try filter.start()
        defer { filter.stop() }
        let start = ContinuousClock.now
        let openers = try files.map { try Opener(cat: $0) }
        for opener in openers { #expect(try #require(opener.finish()).status == 0) }
        let took = ContinuousClock.now - start
        #expect(took < .milliseconds(2500), "six opens took \(took): they waited in turn")
        #expect(filter.statistics.snapshot.timeouts == 6)
    }

    @Test("past the in-flight bound an open gets the full verdict at once, and the log callback comes after")
    func bound() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let held = try folder.file("held.txt")
        let extra = try folder.file("extra.txt")
        let collector = EventCollector()
        var registration = collector.registration([.open], [.directory(folder.path)])
        registration.maxInFlight = 1
        registration.fullVerdict = .deny
        registration.cacheAllowed = false
        let filter = try MiniFilter(registration)
        try filter.start()
        defer { filter.stop() }
        let waiting = try Opener(cat: held)
        let event = try #require(collector.wait(for: 1)?.first)
        let refused = try #require(try Opener(cat: extra).finish())
        #expect(refused.status == 1 && refused.took < .seconds(2), "\(refused)")
        #expect(filter.statistics.snapshot.full == 1)
        #expect(collector.answered.withLock { $0.first?.2 } == .full)
        #expect(filter.reply(to: event, .allow))
        #expect(try #require(waiting.finish()).status == 0)
    }

    @Test("the filter's own opens and an exempt process's are allowed without asking")
    func exemptions() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let file = try folder.file("mine.txt", "mine\n")
        let collector = EventCollector()
        let filter = try MiniFilter(collector.registration([.open], [.directory(folder.path)]))
        try filter.start()
        defer { filter.stop() }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "mine\n")
        // A shell that waits for a line, then becomes cat (same pid): exempt it before it opens.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "read line; exec cat \(file) >/dev/null"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        filter.exempt(processID: process.processIdentifier)
        input.fileHandleForWriting.write(Data("go\n".utf8))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(collector.count == 0)
        // The open is answered before it is counted (nothing waits for bookkeeping), so the count may trail.
        #expect(eventually { filter.statistics.snapshot.exempt >= 2 })
    }

    @Test("an allowed file is not asked about again until it is written; a flush asks again")
    func cache() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let file = try folder.file("cached.txt")
        let (filter, collector) = try answeringFilter(
            [.open],
            [.directory(folder.path)],
            cache: true,
            deadline: .seconds(10)
        )
        defer { filter.stop() }
        #expect(try #require(try Opener(cat: file).finish()).status == 0)
        #expect(collector.count == 1 && filter.cachedFiles == 1)
        for _ in 0..<3 { #expect(try #require(try Opener(cat: file).finish()).status == 0) }
        #expect(collector.count == 1, "a cached file was asked about again")
        // A write (its open is asked: the file is cached for opens, and a write open is an open) clears it.
        #expect(try #require(try Opener("/bin/sh", ["-c", "echo more >> \(file)"]).finish()).status == 0)
        let afterWrite = collector.count
        #expect(try #require(try Opener(cat: file).finish()).status == 0)
        #expect(collector.count == afterWrite + 1, "a written file stayed cached")
        filter.flushCache()
        #expect(try #require(try Opener(cat: file).finish()).status == 0)
        #expect(collector.count == afterWrite + 2, "a flushed file stayed cached")
        #expect(filter.statistics.snapshot.cacheFlushes == 1)
    }

    @Test("a close after a write is a notification with the path; exec and read are asked and can be denied")
    func operations() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let file = try folder.file("data.txt")
        let program = folder.path + "/true"
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: program)
        let (filter, collector) = try answeringFilter(
            [.exec, .readAccess, .closeWrite],
            [.directory(folder.path)],
            verdict: .deny
        )
        defer { filter.stop() }
        #expect(try #require(try Opener("/bin/sh", ["-c", "echo x > \(file)"]).finish()).status == 0)
        #expect(eventually { collector.events.withLock { $0.contains { $0.operation == .closeWrite } } })
        let executed = try #require(try Opener("/bin/sh", ["-c", program]).finish())
        #expect(executed.status != 0, "the denied exec ran: \(executed)")
        let read = try #require(try Opener(cat: file).finish())
        #expect(read.status == 1, "the denied read succeeded: \(read)")
        let operations = Set(collector.events.withLock { $0.map(\.operation) })
        #expect(operations == [.closeWrite, .exec, .readAccess], "\(operations)")
        let notification = collector.events.withLock { $0.first { $0.operation == .closeWrite } }
        #expect(notification?.path == Array(file.utf8))
    }

    @Test("stopping closes the group first: an open waiting for an answer proceeds at once")
    func stopReleases() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let file = try folder.file("waiting.txt")
        let collector = EventCollector()
        var registration = collector.registration([.open], [.directory(folder.path)])
        registration.deadline = .seconds(60)
        registration.timeoutVerdict = .deny
        let filter = try MiniFilter(registration)
        try filter.start()
        let opener = try Opener(cat: file)
        let event = try #require(collector.wait(for: 1)?.first)
        filter.stop()
        let result = try #require(opener.finish(within: .seconds(5)))
        #expect(result.status == 0)
        #expect(!filter.reply(to: event, .deny))
    }

    @Test("paths are bytes: a name with invalid UTF-8 and a path near PATH_MAX arrive as they are")
    func pathBytes() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        // Nested directories up to about 4,000 bytes, made one level at a time.
        var deep = Array(folder.path.utf8)
        while deep.count < 3900 {
            deep += Array("/".utf8) + [UInt8](repeating: UInt8(ascii: "d"), count: 200)
            #expect(withCPathForTest(deep) { mkdir($0, 0o755) } == 0)
        }
        let names: [[UInt8]] = [Array("bad".utf8) + [0xFF, 0x0A] + Array(".txt".utf8), Array("x".utf8)]
        let paths = [Array(folder.path.utf8) + [UInt8(ascii: "/")] + names[0], deep + [UInt8(ascii: "/")] + names[1]]
        for path in paths { #expect(withCPathForTest(path) { creat($0, 0o644) } >= 0) }
        let (filter, collector) = try answeringFilter(
            [.open],
            [.directory(folder.path), .directory(String(decoding: deep, as: UTF8.self))]
        )
        defer { filter.stop() }
        // find opens each by a path relative to its directory: cat's argv cannot hold the long one whole.
        let result = try #require(
            try Opener("/usr/bin/find", [folder.path, "-type", "f", "-exec", "cat", "{}", ";"]).finish()
        )
        #expect(result.status == 0, "\(result.output)")
        let seen = Set(collector.events.withLock { $0.map(\.path) })
        #expect(seen == Set(paths), "\(seen.map(\.count))")
        #expect(paths[1].count > 3900 && paths[1].count < 4096)
    }
}

/// `body` with `path` as a C string (test side).
func withCPathForTest<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    body(path.map { CChar(bitPattern: $0) } + [0])
}

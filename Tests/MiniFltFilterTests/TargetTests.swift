// SPDX-License-Identifier: MIT
import Foundation
import MiniFltFilter
import MiniFltPosix
import Testing

/// Trees, mounts and file systems as targets, on real fanotify (as root), on folders and tmpfs mounts of
/// the test's own.
@Suite("MiniFilter targets: trees, mounts, file systems", .serialized)
struct TargetTests {
    /// A filter that allows everything and records what it was asked.
    static func allowingFilter(_ targets: [WatchTarget]) throws -> (MiniFilter, EventCollector) {
        try answeringFilter([.open], targets)
    }

    static func asked(_ collector: EventCollector, about path: String) -> Bool {
        collector.events.withLock { $0.contains { $0.path == Array(path.utf8) } }
    }

    @Test("a tree: directories made, renamed and moved in while watched are watched; removed ones are dropped")
    func tree() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/a/b", withIntermediateDirectories: true)
        let deep = try folder.file("a/b/deep.txt")
        let (filter, collector) = try Self.allowingFilter([.tree(folder.path)])
        defer { filter.stop() }
        #expect(filter.treeDirectories == 3)
        #expect(try #require(try Opener(cat: deep).finish()).status == 0)
        #expect(Self.asked(collector, about: deep))

        // Made while watched, with a file made at once (the walk after the mark finds it).
        #expect(mkdir(folder.path + "/new", 0o755) == 0)
        let made = try folder.file("new/made.txt")
        #expect(eventually { filter.treeDirectories == 4 })
        #expect(try #require(try Opener(cat: made).finish()).status == 0)
        #expect(Self.asked(collector, about: made))

        // Renamed: a directory made under its new name gets the new path.
        #expect(rename(folder.path + "/new", folder.path + "/renamed") == 0)
        #expect(mkdir(folder.path + "/renamed/inner", 0o755) == 0)
        #expect(eventually { filter.treeDirectories == 5 })
        let inner = try folder.file("renamed/inner/inner.txt")
        #expect(try #require(try Opener(cat: inner).finish()).status == 0)
        #expect(Self.asked(collector, about: inner), "\(collector.events.withLock { $0.map(\.pathString) })")

        // Moved in from outside the tree, with a subdirectory.
        let outside = try TestFolder("outside")
        defer { outside.remove() }
        try FileManager.default.createDirectory(atPath: outside.path + "/sub", withIntermediateDirectories: true)
        #expect(rename(outside.path, folder.path + "/moved") == 0)
        #expect(eventually { filter.treeDirectories == 7 })
        let moved = try folder.file("moved/sub/moved.txt")
        #expect(try #require(try Opener(cat: moved).finish()).status == 0)
        #expect(Self.asked(collector, about: moved))

        // Removed: its watch goes (once the events' descriptors, which hold the directories, are closed).
        collector.events.withLock { $0.removeAll() }
        try FileManager.default.removeItem(atPath: folder.path + "/moved")
        #expect(eventually { filter.treeDirectories == 5 }, "\(filter.treeDirectories)")
    }

    @Test("a mount mark sees the mount's files and not a bind mount's; a file-system mark sees both")
    func mountAndFilesystem() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        let original = folder.path + "/tmpfs"
        let bind = folder.path + "/bind"
        try FileManager.default.createDirectory(atPath: original, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bind, withIntermediateDirectories: true)
        #expect(
            try #require(try Opener("/bin/mount", ["-t", "tmpfs", "minifltd-test", original]).finish()).status == 0
        )
        // Lazily: the filters' events may still hold descriptors of the mount's files.
        defer { _ = try? Opener("/bin/umount", ["--lazy", original]).finish() }
        #expect(try #require(try Opener("/bin/mount", ["--bind", original, bind]).finish()).status == 0)
        defer { _ = try? Opener("/bin/umount", ["--lazy", bind]).finish() }
        try "in tmpfs\n".write(toFile: original + "/file.txt", atomically: false, encoding: .utf8)
        let outside = try folder.file("outside.txt")

        let (mountFilter, mountEvents) = try Self.allowingFilter([.mount(original)])
        for path in [original + "/file.txt", bind + "/file.txt", outside] {
            #expect(try #require(try Opener(cat: path).finish()).status == 0)
        }
        mountFilter.stop()
        #expect(Self.asked(mountEvents, about: original + "/file.txt"))
        #expect(mountEvents.count == 1, "\(mountEvents.events.withLock { $0.map(\.pathString) })")

        let (filesystemFilter, filesystemEvents) = try Self.allowingFilter([.filesystem(original)])
        for path in [original + "/file.txt", bind + "/file.txt", outside] {
            #expect(try #require(try Opener(cat: path).finish()).status == 0)
        }
        filesystemFilter.stop()
        #expect(Self.asked(filesystemEvents, about: original + "/file.txt"))
        #expect(Self.asked(filesystemEvents, about: bind + "/file.txt"))
        #expect(filesystemEvents.count == 2)
    }

    @Test("a target that does not exist stops the start with an error that names it")
    func missingTarget() throws {
        let filter = try MiniFilter(
            FilterRegistration(operations: [.open], targets: [.directory("/nonexistent/x")]) { _ in }
        )
        #expect {
            try filter.start()
        } throws: { error in
            "\(error)".contains("/nonexistent/x") && "\(error)".contains("No such file")
        }
        filter.stop()
    }

    @Test(
        "a watched tree of 100,000 files, with directories made, renamed and removed while opens go on",
        // The collector holds 4,000 events' descriptors, and with that many open Foundation's Process.run reads
        // past the end of its /proc/self/fd listing (findMaximumOpenFromProcSelfFD), which AddressSanitizer stops.
        .disabled(if: ProcessInfo.processInfo.environment["MINIFLT_SANITIZER"] == "address", "not under ASan")
    )
    func largeTree() throws {
        let folder = try TestFolder()
        defer { folder.remove() }
        for directory in 0..<100 {
            let path = folder.path + "/d\(directory)"
            #expect(mkdir(path, 0o755) == 0)
            for file in 0..<1000 {
                let fd = creat(path + "/f\(file)", 0o644)
                if fd >= 0 { close(fd) }
            }
        }
        let started = ContinuousClock.now
        let (filter, collector) = try Self.allowingFilter([.tree(folder.path)])
        defer { filter.stop() }
        let marking = ContinuousClock.now - started
        #expect(filter.treeDirectories == 101)
        // Churn: make, rename and remove directories while a reader opens files all over the tree.
        let reader = try Opener(
            "/bin/sh",
            ["-c", "for d in 0 17 42 99; do cat \(folder.path)/d$d/f* > /dev/null; done"]
        )
        for round in 0..<50 {
            let made = folder.path + "/churn\(round)"
            #expect(mkdir(made, 0o755) == 0)
            #expect(rename(made, made + "-renamed") == 0)
            if round % 2 == 0 { #expect(rmdir(made + "-renamed") == 0) }
        }
        #expect(try #require(reader.finish(within: .seconds(120))).status == 0)
        #expect(eventually { filter.treeDirectories == 126 }, "\(filter.treeDirectories)")
        let late = try folder.file("churn1-renamed/late.txt")
        #expect(try #require(try Opener(cat: late).finish()).status == 0)
        #expect(Self.asked(collector, about: late))
        #expect(collector.count >= 4001)
        print("marking 101 directories of 100,000 files took \(marking)")
    }
}

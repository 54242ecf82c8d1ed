// SPDX-License-Identifier: MIT
import Foundation
import MiniFltFilter
import MiniFltPosix
import Testing

/// A folder of the test's own under /var/tmp, removed at the end.
struct TestFolder {
    let path: String
    init(_ tag: String = #function) throws {
        path = "/var/tmp/miniflt-filter-\(tag.prefix { $0 != "(" })-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String, _ content: String = "content\n") throws -> String {
        let file = path + "/" + name
        try content.write(toFile: file, atomically: false, encoding: .utf8)
        return file
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The events a filter got, for a test to wait on and answer.
final class EventCollector: Sendable {
    let events = ConditionLock<[FileEvent]>([])
    let answered = ConditionLock<[(FileEvent, FilterVerdict, FilterAnswerReason)]>([])

    func add(_ event: FileEvent) {
        events.withLock { $0.append(event) }
        events.broadcast()
    }

    /// Waits until `count` events came; nil after `timeout`.
    func wait(for count: Int, timeout: Duration = .seconds(5)) -> [FileEvent]? {
        events.wait(until: MonotonicClock.now + timeout.nanoseconds) { $0.count >= count ? $0 : nil }
    }

    var count: Int { events.withLock { $0.count } }

    /// A registration whose callbacks land here.
    func registration(_ operations: Set<FilterOperation>, _ targets: [WatchTarget]) -> FilterRegistration {
        var registration = FilterRegistration(operations: operations, targets: targets) { [self] in add($0) }
        registration.postOperation = { [self] in add($0) }
        registration.answered = { [self] event, verdict, reason in
            answered.withLock { $0.append((event, verdict, reason)) }
            answered.broadcast()
        }
        return registration
    }
}

/// A started filter that answers every permission event `verdict` at once and records every event.
func answeringFilter(
    _ operations: Set<FilterOperation>,
    _ targets: [WatchTarget],
    verdict: FilterVerdict = .allow,
    cache: Bool = false,
    deadline: Duration = .seconds(5)
) throws -> (MiniFilter, EventCollector) {
    let collector = EventCollector()
    let filterBox = ConditionLock<MiniFilter?>(nil)
    var registration = FilterRegistration(operations: operations, targets: targets) { event in
        collector.add(event)
        _ = filterBox.withLock { $0 }?.reply(to: event, verdict)
    }
    registration.postOperation = { collector.add($0) }
    registration.cacheAllowed = cache
    registration.deadline = deadline
    let filter = try MiniFilter(registration)
    filterBox.withLock { $0 = filter }
    try filter.start()
    return (filter, collector)
}

/// A process that opens a file (cat, or any command), started now; `finish` waits for it.
final class Opener: Sendable {
    private let process: Process
    let started = ContinuousClock.now
    private let output = Pipe()

    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
    }

    convenience init(cat path: String) throws { try self.init("/bin/cat", [path]) }

    var pid: Int32 { process.processIdentifier }

    /// The exit status and how long the process took, or nil if it did not end within `timeout`.
    func finish(within timeout: Duration = .seconds(10)) -> (status: Int32, took: Duration, output: String)? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            usleep(2000)
        }
        let took = ContinuousClock.now - started
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, took, text)
    }
}

/// Waits until `condition` holds; false after `timeout`.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(5000)
    }
    return condition()
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// The real `minifltd` binary, started for one test on a port of its own and stopped by PID (through
/// ``ChildProcess``, which kills it if the test ends without stopping it).
final class Daemon {
    let port: String
    private let child: ChildProcess
    private let log = LogBuffer()

    /// Starts `minifltd --port <unique> --log-level debug <arguments>` and waits until it listens.
    /// - Parameter launcher: a command that execs the daemon in its place, such as `prlimit --nofile=32 --`
    ///   (the pid stays the daemon's).
    init(
        _ tag: String = #function,
        arguments: [String] = [],
        port: String? = nil,
        environment: [String: String] = [:],
        launcher: [String] = [],
        listeningAt: String? = nil
    ) throws {
        self.port = port ?? Binaries.uniquePortName(String(tag.prefix { $0 != "(" }))
        let command =
            launcher + [Binaries.minifltd.path, "--port", self.port, "--log-level", "debug", "--log-target", "console"]
        child = try ChildProcess(
            command[0],
            Array(command.dropFirst()) + arguments,
            environment: environment,
            mergeStandardOutput: true
        )
        log.collect(from: child.output.fileHandleForReading)
        // PortName's address, not String.lowercased(), which folds some letters otherwise (U+0130).
        let address = listeningAt ?? (try? PortName(self.port).address) ?? "@" + self.port
        let process = child.process
        guard eventually({ isListening(address) || !process.isRunning }), process.isRunning else {
            _ = child.stop(SIGKILL)
            throw DaemonError.didNotStart(output)
        }
    }

    var pid: Int32 { child.pid }

    /// Whether the daemon still runs.
    var isRunning: Bool { child.process.isRunning }

    /// Everything the daemon logged so far.
    var output: String { log.text.withLock { $0 } }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(5)) -> Bool {
        eventually(timeout: timeout) { output.contains(text) }
    }

    /// The last lines of the log, for a failing expectation's message.
    var tail: String { output.split(separator: "\n").suffix(25).joined(separator: "\n") }

    /// How many times `text` occurs in the log.
    func count(_ text: String) -> Int { output.components(separatedBy: text).count - 1 }

    /// The daemon's open descriptors, from /proc.
    var openDescriptorCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// The descriptor count once it stops changing: the baseline for a leak check (a connection that was
    /// just refused, or a thread's descriptor, may still be open when a test starts counting).
    var settledDescriptorCount: Int {
        var last = openDescriptorCount
        while true {
            usleep(100_000)
            let now = openDescriptorCount
            if now == last { return now }
            last = now
        }
    }

    /// Sends SIGTERM and returns the exit status.
    func terminate() -> Int32 { child.stop(SIGTERM) }
}

enum DaemonError: Error, CustomStringConvertible {
    case didNotStart(String)
    var description: String {
        switch self {
        case .didNotStart(let output): "minifltd did not start listening:\n\(output)"
        }
    }
}

/// What a child printed, appended by a thread that reads its pipe to the end.
///
/// A thread, not `FileHandle.readabilityHandler`: that is a Dispatch source, and dropping the pipe right
/// after clearing the handler closed the descriptor under a source still registered on it, which crashed
/// libdispatch's event loop in a test run.
final class LogBuffer: Sendable {
    let text = StateLock("")
    func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }

    /// Reads `handle` on a thread of its own until end of file (the child and every copy of the write end
    /// closed); the thread keeps the handle, and so its descriptor, open until then.
    func collect(from handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                append(data)
            }
        }
        thread.start()
    }
}

/// Whether a socket listens at the abstract `address` (`@\\name`), from /proc/net/unix.
func isListening(_ address: String) -> Bool { listeningSocketCount(address) > 0 }

/// How many listening sockets are bound to `address`, from /proc/net/unix.
func listeningSocketCount(_ address: String) -> Int {
    // Read to the end: String(contentsOfFile:) stops after the first 4 KiB of a /proc file, which hid
    // listeners once a test held many sockets.
    guard let handle = FileHandle(forReadingAtPath: "/proc/net/unix"), let data = try? handle.readToEnd() else {
        return 0
    }
    let table = String(decoding: data, as: UTF8.self)
    // Listening sockets have the __SO_ACCEPTCON flag (00010000) and state 01 (unconnected).
    return table.split(separator: "\n").filter { $0.hasSuffix(" " + address) && $0.contains(" 00010000 ") }.count
}

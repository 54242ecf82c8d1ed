// SPDX-License-Identifier: MIT
import Foundation
import MiniFltTestSupport

/// A process a test starts, and stops by pid: SIGKILL when the value goes away if it still runs.
final class ChildProcess {
    let process = Process()
    /// The child's stderr (and stdout, when asked), unread unless the test reads it.
    let output = Pipe()

    init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        mergeStandardOutput: Bool = false
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = output
        if mergeStandardOutput { process.standardOutput = output }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends `signal` and waits; returns the exit status.
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(pid, signal) }  // an exited child's pid may belong to another process
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the child to exit by itself; returns the exit status.
    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// What the child prints from now on, read by a thread to the end of the pipe.
    func collectOutput() -> LogBuffer {
        let buffer = LogBuffer()
        buffer.collect(from: output.fileHandleForReading)
        return buffer
    }

    /// Waits at most `limit` for the child to exit by itself: its exit status, or nil (and it is killed)
    /// when it does not, so that a hang fails a test instead of stalling the suite.
    func exitStatus(within limit: Duration) -> Int32? {
        let process = self.process
        guard eventually(timeout: limit, { !process.isRunning }) else {
            _ = stop(SIGKILL)
            return nil
        }
        return waitForExit()
    }

    /// Everything left on the pipe once the child exited.
    func readRemainingOutput() -> String {
        String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

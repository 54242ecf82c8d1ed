import Foundation

/// A systemd-journald for the journal test: the one already running, or one this test starts (as root, it
/// runs standalone) and stops by pid.
struct Journald {
    private let started: Process?

    static func ensureRunning() throws -> Journald {
        if FileManager.default.fileExists(atPath: "/run/systemd/journal/socket"),
            (try? runProgram("/usr/bin/pgrep", ["-x", "systemd-journal"]))?.status == 0
        {
            return Journald(started: nil)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journald")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard eventually(timeout: .seconds(10), { FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw JournaldError.didNotStart
        }
        return Journald(started: process)
    }

    func stop() {
        guard let started else { return }
        kill(started.processIdentifier, SIGTERM)
        started.waitUntilExit()
    }
}

enum JournaldError: Error { case didNotStart }

import Foundation
import MiniFltPosix

/// A systemd-journald for the journal test: the one already listening on this mount namespace's journal
/// socket, or one this test starts (as root, it runs standalone) and stops by pid. Whether one runs is asked
/// of the socket, not of the process list: the sandbox test's journald shows in `pgrep` but listens in a
/// /run of its own, and a stopped journald leaves its socket file behind.
struct Journald {
    private let started: Process?

    static func ensureRunning() throws -> Journald {
        let socket = "/run/systemd/journal/socket"
        if AbstractSocket.hasDatagramListener(at: socket) { return Journald(started: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/lib/systemd/systemd-journald")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard eventually(timeout: .seconds(10), { AbstractSocket.hasDatagramListener(at: socket) }) else {
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

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization

/// A systemd-journald for the journal tests: the one already listening on this mount namespace's journal
/// socket, or one these tests start (as root, it runs standalone) and stop by pid once the last test that
/// uses it is done. Tests run in parallel, so it is shared and counted rather than started per test.
/// Whether one runs is asked of the socket, not of the process list: the sandbox test's journald shows in
/// `pgrep` but listens in a /run of its own, and a stopped journald leaves its socket file behind.
struct Journald {
    static let socket = "/run/systemd/journal/socket"
    private static let shared = StateLock<(users: Int, started: Process?)>((0, nil))

    /// Makes sure a journald listens, for one user; pair with ``release()``.
    static func acquire() throws -> Journald {
        try shared.withLock { shared in
            if shared.users == 0, !AbstractSocket.hasDatagramListener(at: socket) {
                shared.started = try start()
            }
            shared.users += 1
        }
        return Journald()
    }

    /// One user is done; the last one stops the journald these tests started.
    func release() {
        let process = Journald.shared.withLock { shared -> Process? in
            shared.users -= 1
            guard shared.users == 0 else { return nil }
            defer { shared.started = nil }
            return shared.started
        }
        guard let process else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    private static func start() throws -> Process {
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
        return process
    }
}

enum JournaldError: Error { case didNotStart }

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltTestSupport

/// A minifltd running as uid 65534 that admits everyone: a process posing as the port, which clients must
/// refuse unless told to trust that uid (docs/protocol.md section 1).
final class Impostor {
    let port = Binaries.uniquePortName("impostor")
    private let child: ChildProcess

    init() throws {
        child = try ChildProcess(
            "/usr/bin/setpriv",
            [
                "--reuid", "65534", "--regid", "65534", "--clear-groups", Binaries.minifltd.path,
                "--port", port, "--sddl", "D:(A;;GA;;;WD)", "--max-connections", "2", "--log-target", "console",
            ]
        )
    }

    /// Kills it; tests call this in a `defer`, which also keeps the value alive until then.
    func stop() { _ = child.stop(SIGKILL) }

    /// Waits until it listens.
    func waitUntilListening() -> Bool { eventually { isListening("@" + port.lowercased()) } }
}

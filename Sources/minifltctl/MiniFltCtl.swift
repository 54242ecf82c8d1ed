// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltWire

/// The command-line client: what the seed's user-mode application does, and a latency probe.
@main
struct MiniFltCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minifltctl",
        abstract: "Talk to a minifltd communication port.",
        discussion:
            "Exit status: 0 on success, 1 when a call fails (the HRESULT and what to do are printed), 64 for a usage error.",
        version: ProductVersion.string,
        subcommands: [Send.self, Listen.self, Status.self, Ports.self]
    )
}

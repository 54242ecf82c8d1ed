import ArgumentParser

/// The command-line client: what the seed's user-mode application does, and a latency probe.
@main
struct MiniFltCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minifltctl",
        abstract: "Talk to a minifltd communication port.",
        subcommands: [Send.self, Listen.self]
    )
}

// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltClient
import MiniFltWire

/// The options every subcommand that connects takes.
struct PortOptions: ParsableArguments {
    @Option(help: "The port name.")
    var port = PortName.example

    @Option(help: "How wide characters are laid out: 2 (UTF-16, as on Windows) or 4 (UTF-32, wchar_t on Linux).")
    var wchar = 2

    @Option(help: "A uid besides 0 that the port's server may run as.")
    var expectServerUID: UInt32?

    func validate() throws {
        guard wchar == 2 || wchar == 4 else { throw ValidationError("--wchar must be 2 or 4") }
    }

    var wcharSize: WideCharacterSize { wchar == 4 ? .utf32 : .utf16 }

    /// FilterConnectCommunicationPort with these options (and `options`' flags); on failure, the seed's error
    /// line and exit 1.
    func connect(options flags: UInt32 = 0) throws -> FilterPort {
        var options = ConnectOptions(wcharSize: wcharSize, options: flags)
        options.expectedServerUID = expectServerUID
        do {
            return try FilterPort.connect(to: port, options: options)
        } catch {
            throw reportFailure("FilterConnectCommunicationPort", error)
        }
    }
}

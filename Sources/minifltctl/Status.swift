// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltClient
import MiniFltPosix
import MiniFltWire

/// `minifltctl status`: asks the daemon's management port (docs/protocol.md section 11).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a running minifltd serves: its ports, clients, counters and verdict statistics.",
        discussion: """
            Connects to the management port (by default the port's name followed by .Control), which admits \
            administrators and the system unless minifltd --control-sddl says otherwise.
            """
    )

    @Option(help: "The filter port whose daemon to ask.")
    var port = PortName.example

    @Option(help: "The management port to ask (default: --port followed by .Control).")
    var controlPort: String?

    @Flag(help: "Print the status as one JSON object.")
    var json = false

    func run() throws {
        let name = controlPort ?? port + ".Control"
        let client: FilterPort
        do {
            client = try FilterPort.connect(to: name)
        } catch {
            var standardError = StandardError()
            print("FilterConnectCommunicationPort failed (HRESULT = \(error.hresult.hex))", to: &standardError)
            if error.hresult == .accessDenied {
                print(
                    "minifltctl: the management port \(name) does not admit this user: it admits administrators and the system unless minifltd --control-sddl admits more; run minifltctl status as root (sudo)",
                    to: &standardError
                )
            } else {
                print("minifltctl: \(error.message) (is minifltd running with a management port?)", to: &standardError)
            }
            throw ExitCode(1)
        }
        defer { client.close() }
        do {
            let reply = try client.send(Array((json ? "status json" : "status").utf8), outputCapacity: 1 << 20)
            print(String(decoding: reply, as: UTF8.self), terminator: "")
        } catch {
            throw reportFailure("FilterSendMessage", error)
        }
    }
}

// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltPermissions
import MiniFltServer
import MiniFltWire

/// The management port beside the filter port (docs/protocol.md section 11): a second minifltd port,
/// `<port>.Control` by default, speaking the same wire protocol, with its own permission descriptor
/// (administrators and the system only unless `--control-sddl` says otherwise). A SEND of `status` is
/// answered with the status as text, `status json` with it as JSON; anything else gets
/// `STATUS_INVALID_PARAMETER`, and a reply buffer too small for the answer `STATUS_BUFFER_TOO_SMALL`.
///
/// Its routines run on a queue of their own, so a status answers while the filter's routines are busy.
enum ControlPort {
    static func start(
        name: PortName,
        permissions: PermissionDescriptor,
        listener: ServerPortConfiguration.Listener,
        report: StatusReport,
        logger: Logger
    ) throws(ServerPortError) -> ServerPort {
        var configuration = ServerPortConfiguration(name: name)
        configuration.permissions = permissions
        configuration.maxConnections = 4
        configuration.maxMessageSize = 4096
        configuration.listener = listener
        let routines = PortRoutines<Void, Void>(
            connect: { _, _, _ in .accept(()) },
            disconnect: { _ in },
            message: { _, input, capacity in
                let request = String(decoding: input ?? [], as: UTF8.self)
                let answer: String
                switch request {
                case "status": answer = report.value.text() + "\n"
                case "status json": answer = report.value.json + "\n"
                default: return MessageResult(status: .invalidParameter)
                }
                let bytes = Array(answer.utf8)
                guard bytes.count <= capacity else { return MessageResult(status: .bufferTooSmall) }
                return MessageResult(output: bytes)
            }
        )
        return try ServerPort(
            configuration: configuration,
            serverCookie: (),
            routines: routines,
            routineQueue: DispatchQueue(label: "minifltd.control"),
            logger: logger
        )
    }

    /// `\MiniFilterPort_Example.Control` for `\MiniFilterPort_Example`.
    static func defaultName(for port: String) -> String { port + ".Control" }
}

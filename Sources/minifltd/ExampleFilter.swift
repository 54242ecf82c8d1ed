import Logging
import MiniFltPermissions
import MiniFltServer
import MiniFltWire

/// The seed example's routines (spec section 9): log each event, and answer a 4096-byte USER_TO_FLT with
/// "Hello, User" when the client gave a 4096-byte USER_TO_FLT_REPLY buffer.
struct ExampleFilter: Sendable {
    /// sizeof(USER_TO_FLT) and sizeof(USER_TO_FLT_REPLY) in the seed: WCHAR msg[2048] on Windows.
    static let messageSize = 4096
    static let reply = "Hello, User"
    /// The reply in each wide-character layout, encoded once.
    static let replyUTF16 = WideString.encode(reply, as: .utf16)
    static let replyUTF32 = WideString.encode(reply, as: .utf32)

    let logger: Logger
    /// Connected clients, for the open watcher (`--watch`).
    let clients: ClientRegistry

    /// The connection cookie: the client port and a logger that already carries its pid and uid, made once
    /// at connect (setting logger metadata is not free, and the message routine runs for every message).
    struct Client: Sendable {
        let port: ClientPort
        let logger: Logger
    }

    /// The metadata that gives a line its event kind (and so its journal MESSAGE_ID).
    static func event(_ kind: PortEvent) -> Logger.Metadata { [PortEvent.metadataKey: "\(kind.rawValue)"] }

    /// The routines.
    var routines: PortRoutines<Void, Client> {
        PortRoutines(
            connect: { port, _, _ in
                var logger = self.logger
                logger[metadataKey: PortMetadataKey.clientPID] = "\(port.peer.pid)"
                logger[metadataKey: PortMetadataKey.clientUID] = "\(port.peer.uid)"
                logger[metadataKey: PortMetadataKey.clientGID] = "\(port.peer.gid)"
                logger.info("User-mode application(\(port.peer.pid)) connect to this filter", metadata: ExampleFilter.event(.clientConnected))
                clients.add(port)
                return .accept(Client(port: port, logger: logger))
            },
            disconnect: { client in
                clients.remove(client.port)
                client.logger.info("User-mode application(\(client.port.peer.pid)) disconnect with this filter", metadata: ExampleFilter.event(.clientDisconnected))
            },
            message: { client, input, outputCapacity in
                client.logger.info("User-mode application(\(client.port.peer.pid)) send data to this filter", metadata: ExampleFilter.event(.message))
                if let input, input.count == ExampleFilter.messageSize {
                    client.logger.info("Data: \(WideString.decode(input, as: client.port.wcharSize))", metadata: ExampleFilter.event(.message))
                }
                guard outputCapacity == ExampleFilter.messageSize else { return MessageResult() }
                return MessageResult(output: client.port.wcharSize == .utf32 ? ExampleFilter.replyUTF32 : ExampleFilter.replyUTF16)
            }
        )
    }
}

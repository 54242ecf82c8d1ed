// SPDX-License-Identifier: MIT
import Glibc
import Logging
import MiniFltPermissions
import MiniFltPosix
import MiniFltServer
import MiniFltWire
import Synchronization

/// The seed example's routines (docs/protocol.md section 8): log each event as the seed's DbgPrint does, and
/// answer a 4096-byte USER_TO_FLT with "Hello, User" when the client gave a 4096-byte USER_TO_FLT_REPLY
/// buffer.
///
/// The first ``messagesLoggedPerConnection`` messages of each connection are logged at info, one by one;
/// later ones at debug, and the activity summary counts them. Every message is counted before it is
/// answered, with relaxed atomics: the log costs a busy connection nothing.
struct ExampleFilter: Sendable {
    /// Messages of each connection logged one by one at info.
    static let messagesLoggedPerConnection = 10

    /// sizeof(USER_TO_FLT) and sizeof(USER_TO_FLT_REPLY) in the seed: WCHAR msg[2048] on Windows.
    static let messageSize = 4096
    static let reply = "Hello, User"
    /// The reply in each wide-character layout, encoded once.
    static let replyUTF16 = WideString.encode(reply, as: .utf16)
    static let replyUTF32 = WideString.encode(reply, as: .utf32)

    let logger: Logger
    /// Connected clients, for the open watcher (`--watch`).
    let clients: ClientRegistry
    let counters: ActivityCounters
    /// How long the message routine waits before it answers (`--reply-delay`).
    var replyDelay: Duration = .zero

    /// The connection cookie: the client port and a logger that already carries its pid and uid, made once
    /// at connect (setting logger metadata is not free, and the message routine runs for every message).
    final class Client: Sendable {
        let port: ClientPort
        let logger: Logger
        /// Messages of this connection so far; the routine queue runs one routine at a time, but the counter
        /// is atomic so that the type is plainly Sendable.
        let messages = Atomic<Int>(0)

        init(port: ClientPort, logger: Logger) {
            self.port = port
            self.logger = logger
        }
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
                // Registered before the line is logged: whoever sees the line can count on the client being
                // asked about watched opens (and on its own opens being exempt).
                clients.add(port)
                logger.info(
                    "User-mode application(\(port.peer.pid)) connect to this filter",
                    metadata: ExampleFilter.event(.clientConnected)
                )
                counters.connects.add(1, ordering: .relaxed)
                return .accept(Client(port: port, logger: logger))
            },
            disconnect: { client in
                clients.remove(client.port)
                counters.disconnects.add(1, ordering: .relaxed)
                client.logger.info(
                    "User-mode application(\(client.port.peer.pid)) disconnect with this filter",
                    metadata: ExampleFilter.event(.clientDisconnected)
                )
            },
            descriptorMessage: { client, input, outputCapacity, descriptors in
                if replyDelay > .zero { PosixThread.sleep(for: replyDelay) }
                if let descriptors, let first = descriptors.descriptors.first {
                    return ExampleFilter.readThrough(first, capacity: outputCapacity)
                }
                let output: [UInt8]? =
                    outputCapacity != ExampleFilter.messageSize
                    ? nil
                    : client.port.wcharSize == .utf32 ? ExampleFilter.replyUTF32 : ExampleFilter.replyUTF16
                counters.messages.add(1, ordering: .relaxed)
                counters.bytesIn.add(input?.count ?? 0, ordering: .relaxed)
                counters.bytesOut.add(output?.count ?? 0, ordering: .relaxed)
                let sequence = client.messages.add(1, ordering: .relaxed).newValue
                let level: Logger.Level = sequence <= ExampleFilter.messagesLoggedPerConnection ? .info : .debug
                if client.logger.logLevel <= level {
                    if level == .info { counters.messagesLogged.add(1, ordering: .relaxed) }
                    logMessage(client, input, level: level)
                }
                return output.map { MessageResult(output: $0) } ?? MessageResult()
            }
        )
    }

    /// A SEND that carries a descriptor (docs/protocol.md section 12): its first bytes, read from offset 0, up to
    /// the output capacity, and a duplicate of the descriptor back with the result. The SEND's descriptors
    /// close when the routine's caller drops them.
    static func readThrough(_ descriptor: Int32, capacity: Int) -> MessageResult {
        var bytes = [UInt8](repeating: 0, count: min(capacity, 1 << 20))
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return MessageResult(status: .invalidParameter) }
        return MessageResult(output: Array(bytes.prefix(count)), descriptors: .duplicating([descriptor]))
    }

    /// The seed's two lines for a message: who sent it, and its text when it is a USER_TO_FLT.
    private func logMessage(_ client: Client, _ input: [UInt8]?, level: Logger.Level) {
        client.logger.log(
            level: level,
            "User-mode application(\(client.port.peer.pid)) send data to this filter",
            metadata: ExampleFilter.event(.message)
        )
        if let input, input.count == ExampleFilter.messageSize {
            client.logger.log(
                level: level,
                "Data: \(WideString.decode(input, as: client.port.wcharSize))",
                metadata: ExampleFilter.event(.message)
            )
        }
    }
}

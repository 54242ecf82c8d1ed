// SPDX-License-Identifier: MIT
import Dispatch
import Foundation
import InMemoryLogging
import Logging
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization

/// A server port in this process whose routines record what happened to whom, in order.
final class TestPort: Sendable {
    enum Event: Hashable, Sendable {
        case connect(UInt64)
        case refused(UInt64)
        case message(UInt64)
        case disconnect(UInt64)
    }

    struct Behaviour: Sendable {
        /// Refuse the connect routine for these context bytes.
        var refuseContext: [UInt8]? = nil
        /// How long the disconnect routine takes.
        var disconnectDelay: Duration = .zero
        /// How long a message routine whose input is `slow` takes.
        var slowMessage: Duration = .zero
    }

    static let slow: [UInt8] = Array("slow".utf8)

    let port: ServerPort
    let name: String
    let queue = DispatchQueue(label: "test.routines")
    let events = EventLog()
    let log: InMemoryLogHandler = {
        var handler = InMemoryLogHandler()
        handler.logLevel = .trace
        return handler
    }()
    /// Every client port the connect routine was given, held weakly: each must be freed once released.
    let clientPorts = WeakClientPorts()

    init(
        _ tag: String = #function,
        maxConnections: Int = 8,
        handshakeTimeout: Duration = .seconds(5),
        frameTimeout: Duration = .seconds(5),
        behaviour: Behaviour = Behaviour()
    ) throws {
        name = "\\MiniFltServerTest_\(tag.prefix { $0 != "(" })_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        var configuration = ServerPortConfiguration(name: try PortName(name))
        configuration.maxConnections = maxConnections
        configuration.handshakeTimeout = handshakeTimeout
        configuration.frameTimeout = frameTimeout
        let queue = self.queue
        let events = self.events
        let clientPorts = self.clientPorts
        let routines = PortRoutines<Void, UInt64>(
            connect: { client, _, context in
                dispatchPrecondition(condition: .onQueue(queue))
                clientPorts.add(client)
                if context == behaviour.refuseContext {
                    events.record(.refused(client.id))
                    return .refuse(.accessDenied)
                }
                events.record(.connect(client.id))
                return .accept(client.id)
            },
            disconnect: { id in
                dispatchPrecondition(condition: .onQueue(queue))
                events.record(.disconnect(id))
                Thread.sleep(forTimeInterval: behaviour.disconnectDelay.seconds)
            },
            message: { id, input, capacity in
                dispatchPrecondition(condition: .onQueue(queue))
                events.record(.message(id))
                if input == TestPort.slow { Thread.sleep(forTimeInterval: behaviour.slowMessage.seconds) }
                return MessageResult(output: Array((input ?? []).prefix(capacity)))
            }
        )
        let handler = log
        port = try ServerPort(
            configuration: configuration,
            serverCookie: (),
            routines: routines,
            routineQueue: queue,
            logger: Logger(label: "test") { _ in handler }
        )
    }

    deinit { port.shutdown(timeout: .seconds(10)) }

    var recorded: [Event] { events.list.withLock { $0 } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Client ports, held weakly.
final class WeakClientPorts: Sendable {
    private struct Reference: @unchecked Sendable {  // written and read under `references`' lock only
        weak var port: ClientPort?
    }

    private let references = StateLock<[Reference]>([])
    func add(_ port: ClientPort) { references.withLock { $0.append(Reference(port: port)) } }
    var count: Int { references.withLock { $0.count } }
    /// How many are still alive.
    var alive: Int { references.withLock { $0.filter { $0.port != nil }.count } }
}

/// The routines' events, in the order they ran.
final class EventLog: Sendable {
    let list = StateLock<[TestPort.Event]>([])
    func record(_ event: TestPort.Event) { list.withLock { $0.append(event) } }
}

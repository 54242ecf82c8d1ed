// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltPosix

/// What a connection asks of the engine that owns it. The engine conforms; the connection knows it by this
/// protocol alone, so that the connection does not depend on the engine (the engine holds the connections).
protocol ConnectionHost: AnyObject, Sendable {
    /// The connection left the handshake (CONNECT came, or it closed first): its pending place is free.
    func handshakeFinished(_ connection: Connection)
    /// Watches the partial frame `connection` began receiving at `since`; the caller won its deadline flag.
    func watchPartialFrame(_ connection: Connection, since: MonotonicInstant)
    /// Tells `connection` when the reply to its message `messageID` is late (``Connection/messageDeadlinePassed(_:)``).
    func watchMessageDeadline(_ connection: Connection, messageID: UInt64, deadline: MonotonicInstant)
    /// Registers `descriptor`, a duplicate of the connection's socket, for EPOLLOUT.
    func watchWritable(_ connection: Connection, descriptor: Int32) throws(SystemError)
    /// Re-arms the write registration of ``watchWritable(_:descriptor:)``.
    func rearmWritable(_ connection: Connection, descriptor: Int32)
    /// Takes `descriptor` out of the epoll set before it is closed.
    func forget(_ descriptor: Int32)
    /// A read or write of ``Connection/largeBufferBytes`` or more happened (``MallocTuning``).
    func noteLargeBuffer()
    /// Frees the connection's slot: called once, after its disconnect routine returned (or when none runs).
    func freeSlot(_ connection: Connection, wasConnected: Bool)
}

/// What every connection of one port shares: its limits, its routines and where they run, its log.
///
/// # Thread safety
/// Immutable.
final class ConnectionContext: Sendable {
    let logger: Logger
    let routines: ErasedRoutines
    let routineQueue: DispatchQueue
    let runner: RoutineRunner
    let statistics: PortStatistics
    let maxMessageSize: Int
    let maxOutstandingSends: Int
    let maxQueuedOutputBytes: Int
    let handshakeTimeout: Duration
    /// A SEND whose descriptors reach this number is not held (``PortEngine/heldDescriptorLine``).
    let heldDescriptorLine: Int32

    init(
        configuration: ServerPortConfiguration,
        heldDescriptorLine: Int32,
        logger: Logger,
        routines: ErasedRoutines,
        routineQueue: DispatchQueue,
        runner: RoutineRunner,
        statistics: PortStatistics
    ) {
        self.logger = logger
        self.routines = routines
        self.routineQueue = routineQueue
        self.runner = runner
        self.statistics = statistics
        maxMessageSize = configuration.maxMessageSize
        maxOutstandingSends = configuration.maxOutstandingSends
        maxQueuedOutputBytes = configuration.maxQueuedOutputBytes
        handshakeTimeout = configuration.handshakeTimeout
        self.heldDescriptorLine = heldDescriptorLine
    }
}

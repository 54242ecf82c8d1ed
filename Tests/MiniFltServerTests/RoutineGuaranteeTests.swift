// SPDX-License-Identifier: MIT
import CMiniFltPosix
import Dispatch
import Foundation
import Logging
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

@Suite("The routine guarantees of docs/protocol.md section 10, with an in-process port")
struct RoutineGuaranteeTests {
    @Test("one disconnect routine per successful connect, none after a refused one, no message after it")
    func exactlyOnce() throws {
        let test = try TestPort(maxConnections: 64, behaviour: TestPort.Behaviour(refuseContext: [0xFF]))
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            var options = ConnectOptions()
            if index % 5 == 0 { options.context = [0xFF] }
            guard let client = try? FilterPort.connect(to: test.name, options: options) else { return }
            // Two threads share the connection; the handle is closed while some sends are still in flight.
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                for round in 0..<25 {
                    _ = try? client.send(Array("m\(round)".utf8), outputCapacity: 16)
                    if index % 3 == 0, round == 10 { client.close() }
                }
            }
            client.close()
        }
        #expect(eventually { test.port.statistics.snapshot.connectedClients == 0 && test.port.clients.isEmpty })
        #expect(eventually { settled(test.recorded) })

        let events = test.recorded
        var connected: Set<UInt64> = []
        var disconnected: [UInt64: Int] = [:]
        for event in events {
            switch event {
            case .connect(let id): connected.insert(id)
            case .refused(let id): #expect(!connected.contains(id))
            case .message(let id):
                #expect(connected.contains(id), "message before connect for \(id)")
                #expect(disconnected[id] == nil, "message routine after the disconnect routine for \(id)")
            case .disconnect(let id):
                #expect(connected.contains(id), "disconnect without a successful connect for \(id)")
                disconnected[id, default: 0] += 1
            }
        }
        #expect(connected.count == 32)
        #expect(disconnected.count == connected.count)
        #expect(disconnected.values.allSatisfy { $0 == 1 })
        #expect(events.filter { if case .refused = $0 { true } else { false } }.count == 8)
    }

    @Test("a connection, its client port and its cookie are freed once the disconnect routine returned")
    func connectionsAreFreed() throws {
        let test = try TestPort(maxConnections: 4, behaviour: TestPort.Behaviour(refuseContext: [0xFF]))
        for index in 0..<20 {
            var options = ConnectOptions()
            if index % 4 == 0 { options.context = [0xFF] }
            guard let client = try? FilterPort.connect(to: test.name, options: options) else { continue }
            _ = try client.send([1], outputCapacity: 1)
            client.close()
        }
        #expect(eventually { test.port.clients.isEmpty && test.port.statistics.snapshot.connectedClients == 0 })
        #expect(test.clientPorts.count == 20)
        #expect(
            eventually { test.clientPorts.alive == 0 },
            "\(test.clientPorts.alive) of 20 client ports outlived their connection"
        )
    }

    @Test("a slow disconnect routine keeps the slot taken until it returns")
    func slowDisconnectHoldsSlot() throws {
        let test = try TestPort(maxConnections: 1, behaviour: TestPort.Behaviour(disconnectDelay: .milliseconds(600)))
        let first = try FilterPort.connect(to: test.name)
        let start = MonotonicClock.now
        first.close()
        #expect(eventually { test.recorded.contains(.disconnect(1)) })
        expectFailure(.connectionCountLimit, "connected while the disconnect routine still ran") {
            try FilterPort.connect(to: test.name)
        }
        var second: FilterPort?
        #expect(
            eventually {
                second = try? FilterPort.connect(to: test.name)
                return second != nil
            }
        )
        #expect(MonotonicClock.now - start >= 600_000_000)
    }

    @Test("while a routine runs long, the port still refuses, times out handshakes and notices disconnects")
    func longRoutine() throws {
        let test = try TestPort(
            maxConnections: 3,
            handshakeTimeout: .milliseconds(200),
            behaviour: TestPort.Behaviour(slowMessage: .seconds(2))
        )
        let busy = try FilterPort.connect(to: test.name)
        let leaving = try FilterPort.connect(to: test.name)
        let silent = try AbstractSocket.connect(to: PortName(test.name).addressBytes)
        defer { closeDescriptor(silent) }
        let slowSend = Thread { _ = try? busy.send(TestPort.slow, outputCapacity: 0) }
        slowSend.start()
        #expect(eventually { test.recorded.contains(.message(1)) })
        let start = MonotonicClock.now

        // The silent connection holds the third slot: over the limit is refused at once.
        expectFailure(.connectionCountLimit, "connected over the limit") { try FilterPort.connect(to: test.name) }
        // The handshake deadline passes while the routine runs.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(silent, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(silent, &buffer, buffer.count, 0)
        #expect(count == 20)
        #expect(Array(buffer[0..<20]) == Frame.disconnect(.ioTimeout).encoded())
        // A client that leaves is noticed (its socket closed) before the routine returns.
        leaving.close()
        #expect(
            eventually(timeout: .seconds(1)) {
                test.log.contains("connection closed: the client closed the connection")
            }
        )
        #expect(MonotonicClock.now - start < 1_800_000_000, "the port stalled behind the routine")
        #expect(!test.recorded.contains(.disconnect(2)), "the disconnect routine ran before the long routine returned")
        #expect(eventually { test.recorded.contains(.disconnect(2)) })
    }

    @Test("data and a hang-up that arrive in one edge: the hang-up is not lost")
    func dataThenHangUpInOneEdge() throws {
        let test = try TestPort(maxConnections: 3, behaviour: TestPort.Behaviour(slowMessage: .milliseconds(400)))
        let busy = try FilterPort.connect(to: test.name)
        let raw = try AbstractSocket.connect(to: PortName(test.name).addressBytes)
        try AbstractSocket.sendAll(raw, Frame.connect(ConnectRequest(wcharSize: .utf16)).encoded())
        var result = [UInt8](repeating: 0, count: 20)
        #expect(recv(raw, &result, 20, Int32(MSG_WAITALL)) == 20)
        let slow = Thread { _ = try? busy.send(TestPort.slow, outputCapacity: 0) }
        slow.start()
        #expect(eventually { test.recorded.contains(.message(1)) })
        // The loop thread is inside the routine: half a header and the close reach the socket before anyone
        // reads it, so the thread that does sees both in one event.
        try AbstractSocket.sendAll(raw, Array(Frame.send(id: 1, outputCapacity: 0, input: []).encoded().prefix(10)))
        closeDescriptor(raw)
        #expect(eventually(timeout: .seconds(3)) { test.recorded.contains(.disconnect(2)) }, "\(test.recorded)")
    }

    @Test("work queued while the standby thread serves is never stranded when the long routine ends")
    func noStrandedWork() throws {
        let test = try TestPort(maxConnections: 16, behaviour: TestPort.Behaviour(slowMessage: .milliseconds(60)))
        let busy = try FilterPort.connect(to: test.name)
        let slow = Thread {
            for _ in 0..<15 { _ = try? busy.send(TestPort.slow, outputCapacity: 0) }
        }
        slow.start()
        // Clients come and go around the ends of the long routines, so that some of their disconnects are
        // read by the standby thread just as a routine returns.
        for round in 0..<150 {
            if let client = try? FilterPort.connect(to: test.name) {
                usleep(UInt32(round % 7) * 1000)
                client.close()
            }
        }
        while slow.isExecuting || !slow.isFinished { usleep(10_000) }
        busy.close()
        // Polling the counters raises no socket event: every queued disconnect must run on its own.
        #expect(eventually(timeout: .seconds(2)) { test.port.statistics.snapshot.connectedClients == 0 })
        #expect(eventually { settled(test.recorded) })
    }

    @Test("closing the listener stops new connections; connected clients live on")
    func closeListener() throws {
        let test = try TestPort()
        let client = try FilterPort.connect(to: test.name)
        test.port.closeListener()
        expectFailure(.fileNotFound, "connected after the listener closed") { try FilterPort.connect(to: test.name) }
        #expect(try client.send([1, 2, 3], outputCapacity: 8) == [1, 2, 3])
    }

    @Test("closing a client port sends DISCONNECT; the client's calls then fail with 0x80070006")
    func closeClientPort() throws {
        let test = try TestPort()
        let client = try FilterPort.connect(to: test.name)
        _ = try client.send([1], outputCapacity: 1)
        let ports = test.port.clients
        #expect(ports.count == 1)
        ports.first?.close()
        #expect(eventually { test.recorded.contains(.disconnect(1)) })
        expectFailure(.invalidHandle, "a send on a closed client port succeeded") {
            try client.send([1], outputCapacity: 1)
        }
    }

    @Test("a port without a message routine fails every send")
    func noMessageRoutine() throws {
        let (name, port) = try makePort(message: nil)
        defer { port.shutdown() }
        let client = try FilterPort.connect(to: name)
        expectFailure(NTStatus.invalidDeviceRequest.hresult, "a send to a port without a message routine succeeded") {
            try client.send([1], outputCapacity: 1)
        }
    }

    @Test("an output larger than the capacity is a routine bug: STATUS_BUFFER_OVERFLOW with no data")
    func outputOverCapacity() throws {
        let (name, port) = try makePort { _, _, capacity in
            MessageResult(output: Array(repeating: 7, count: capacity + 1))
        }
        defer { port.shutdown() }
        let client = try FilterPort.connect(to: name)
        expectFailure(.moreData, "an overflowing output reached the client") { try client.send([1], outputCapacity: 4) }
    }

    /// A port whose connect routine accepts everyone, with the given message routine.
    private func makePort(message: PortRoutines<Void, Int>.Message?) throws -> (String, ServerPort) {
        let name = "\\MiniFltServerTest_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let port = try ServerPort(
            configuration: ServerPortConfiguration(name: try PortName(name)),
            serverCookie: (),
            routines: PortRoutines<Void, Int>(
                connect: { _, _, _ in .accept(0) },
                disconnect: { _ in },
                message: message
            ),
            routineQueue: DispatchQueue(label: "test"),
            logger: Logger(label: "test")
        )
        return (name, port)
    }

    private func settled(_ events: [TestPort.Event]) -> Bool {
        let connects = events.filter { if case .connect = $0 { true } else { false } }.count
        let disconnects = events.filter { if case .disconnect = $0 { true } else { false } }.count
        return connects == disconnects
    }
}

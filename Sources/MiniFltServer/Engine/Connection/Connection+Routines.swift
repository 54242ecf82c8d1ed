// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltPosix
import MiniFltWire
import Synchronization

/// The routine calls for one connection, run by a ``RoutineRunner`` drainer on the routine queue.
///
/// Each guarantee of docs/protocol.md section 10 has one place here: the connect routine runs only if the client is still
/// there; a successful one leads to exactly one disconnect routine (run here if the client left while it ran,
/// else queued by the holder's tear-down); the disconnect routine waits for message routines in flight and no
/// message routine starts once it started; the slot is released only after it returned.
extension Connection {
    func runConnectRoutine(_ request: ConnectRequest) {
        let client = ClientPort(connection: self, wcharSize: request.wcharSize, options: request.options)
        let stillOpen = state.withLock { state in
            state.client = client
            return state.descriptorOpen
        }
        guard stillOpen else {
            // The client left before its connect routine started: no routine at all.
            state.withLock { $0.phase = .refused }
            return engine.release(self)
        }
        var result = ConnectResult<CookieBox>.refuse(.unsuccessful)
        engine.routineQueue.sync { result = engine.routines.connect(client, request.context) }
        switch result {
        case .accept(let cookie):
            let (closed, deferred) = state.withLock { state in
                state.cookie = cookie
                state.phase = .connected
                defer { state.deferredSends = [] }
                return (!state.descriptorOpen, state.deferredSends)
            }
            engine.statistics.recordConnected()
            log(.debug, .clientConnected, "client connected")
            if closed {
                runDisconnectRoutine()
                return
            }
            write(.connectResult(.success))
            for item in deferred { engine.runner.submit(item) }
        case .refuse(let status):
            let status = status == .success ? NTStatus.unsuccessful : status
            let closed = state.withLock { state in
                state.phase = .refused
                state.deferredSends = []
                return !state.descriptorOpen
            }
            log(.info, .routineFailure, "the connect routine refused the client with \(status)", status: status)
            if closed { return engine.release(self) }
            write(.connectResult(status))
            requestClose(sending: nil, reason: "the connect routine refused the client")
        }
    }

    func runMessageRoutine(id: UInt64, outputCapacity: UInt32, input: [UInt8]) {
        let cookie = state.withLock { state -> CookieBox? in
            guard state.phase == .connected, !state.disconnectStarted, let cookie = state.cookie else {
                state.outstandingSends.remove(id)
                return nil
            }
            state.routinesInFlight += 1
            return cookie
        }
        guard let cookie else { return }
        let capacity = Int(outputCapacity)
        var result: MessageResult
        if let message = engine.routines.message {
            var answer = MessageResult()
            // The Void form of sync: the generic, rethrowing one wraps the block in more closures.
            engine.routineQueue.sync { answer = message(cookie, input.isEmpty ? nil : input, capacity) }
            result = answer
            if result.output.count > capacity {
                log(
                    .error,
                    .routineFailure,
                    "the message routine returned \(result.output.count) bytes for an output capacity of \(capacity); answering STATUS_BUFFER_OVERFLOW with no data",
                    status: .bufferOverflow
                )
                result = MessageResult(status: .bufferOverflow)
            }
        } else {
            result = MessageResult(status: .invalidDeviceRequest)
        }
        let frame = Frame.sendResult(id: id, status: result.status, output: result.output).encoded()
        engine.statistics.recordMessage()
        let disconnectNow = state.withLock { state in
            writeLocked(&state, frame)
            state.routinesInFlight -= 1
            state.outstandingSends.remove(id)
            guard state.disconnectPending, state.routinesInFlight == 0 else { return false }
            state.disconnectPending = false
            return true
        }
        if disconnectNow { runDisconnectRoutine() }
    }

    func runDisconnectRoutine() {
        let cookie = state.withLock { state -> CookieBox? in
            if state.routinesInFlight > 0 {
                state.disconnectPending = true
                return nil
            }
            guard !state.disconnectStarted else { return nil }
            state.disconnectStarted = true
            return state.cookie
        }
        guard let cookie else { return }
        engine.routineQueue.sync { engine.routines.disconnect(cookie) }
        log(.debug, .clientDisconnected, "client disconnected")
        engine.release(self)
    }
}

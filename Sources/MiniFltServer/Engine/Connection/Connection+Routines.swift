// SPDX-License-Identifier: MIT
import Dispatch
import Logging
import MiniFltPosix
import MiniFltWire
import Synchronization

/// The routine calls for one connection, run by the ``RoutineRunner``'s drainer on the routine queue.
///
/// What may run when is the life cycle's to say (``ConnectionLifeCycle``); this file calls the routines and
/// does what it answers. Each answer is applied, and the frame it asks for written, under one lock.
extension Connection {
    func runConnectRoutine(_ request: ConnectRequest, lane: RoutineRunner.Lane) {
        guard state.withLock({ $0.life.connectRoutineStarting() }) == .run else {
            // The client left before its connect routine started: no routine at all.
            return host.freeSlot(self, wasConnected: false)
        }
        var outcome: (result: ConnectResult<CookieBox>, client: any AnyObject & Sendable)?
        context.routineQueue.sync { outcome = context.routines.connect(self, request) }
        guard let outcome else { preconditionFailure("the routine queue did not run the connect routine") }
        if case .accept = outcome.result {
            // Counted and logged before the client can learn it is connected, as a test that then reads the
            // statistics expects; the life cycle runs the disconnect routine for it whatever happens next.
            context.statistics.recordConnected()
            log(.debug, .clientConnected, "client connected")
        }
        var problem: OutputProblem?
        let action = state.withLock { state -> Connection.LifeCycle.ConnectReturnAction in
            let action = state.life.connectRoutineReturned(outcome.result)
            switch action {
            case .accepted(let cookie, let deferred):
                state.client = outcome.client
                problem = writeLocked(&state, Frame.connectResult(.success).encoded())
                // Queued before the lock is let go: a SEND read meanwhile queues behind these.
                for entry in deferred { context.runner.submit(.message(self, entry.send, cookie), on: lane) }
            case .runDisconnectRoutine:
                state.client = outcome.client
            case .refused(let status):
                problem = writeLocked(&state, Frame.connectResult(status).encoded())
                requestCloseLocked(&state, CloseRequest(status: nil, reason: "the connect routine refused the client"))
            case .freeSlot: break
            }
            return action
        }
        report(problem)
        switch action {
        case .accepted: break
        case .runDisconnectRoutine(let cookie): runDisconnectRoutine(cookie: cookie)
        case .refused(let status):
            log(.info, .routineFailure, "the connect routine refused the client with \(status)", status: status)
        case .freeSlot:
            if case .refuse(let status) = outcome.result {
                log(.info, .routineFailure, "the connect routine refused the client with \(status)", status: status)
            }
            host.freeSlot(self, wasConnected: false)
        }
    }

    func runMessageRoutine(_ send: PendingSend, cookie: CookieBox, lane: RoutineRunner.Lane) {
        let capacity = Int(send.outputCapacity)
        var result: MessageResult
        if let message = context.routines.message {
            var answer = MessageResult()
            // The Void form of sync: the generic, rethrowing one wraps the block in more closures.
            context.routineQueue.sync {
                answer = message(cookie, send.input.isEmpty ? nil : send.input, capacity, send.descriptors)
            }
            result = answer
            if let count = result.descriptors?.count, count > PassedDescriptors.maximumPerFrame {
                log(
                    .error,
                    .routineFailure,
                    "the message routine returned \(count) descriptors, over 253; answering STATUS_INVALID_PARAMETER",
                    status: .invalidParameter
                )
                result = MessageResult(status: .invalidParameter)
            }
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
        // Descriptors go with a success to a client that opted in; otherwise they close with `result`.
        let attached =
            result.status == .success && sendsDescriptors.load(ordering: .acquiring)
            ? result.descriptors.flatMap { $0.count > 0 ? $0 : nil } : nil
        let frame = Frame.sendResult(id: send.id, status: result.status, output: result.output)
            .encoded(descriptorCount: attached?.count ?? 0)
        context.statistics.recordMessage()
        messagesAnswered.add(1, ordering: .relaxed)
        var problem: OutputProblem?
        let action = state.withLock { state in
            problem = writeLocked(&state, frame, descriptors: attached)
            return state.life.messageRoutineReturned(id: send.id)
        }
        report(problem)
        if case .runDisconnectRoutine(let cookie) = action { runDisconnectRoutine(cookie: cookie) }
    }

    func runDisconnectRoutine(cookie: CookieBox) {
        context.routineQueue.sync { context.routines.disconnect(cookie) }
        // The client port and cookie hold the connection: dropped here, or every connection would outlive
        // its slot.
        state.withLock { state in
            state.life.disconnectRoutineReturned()
            state.client = nil
        }
        log(.debug, .clientDisconnected, "client disconnected")
        host.freeSlot(self, wasConnected: true)
    }
}

// SPDX-License-Identifier: MIT
import MiniFltWire

extension ErasedRoutines {
    /// The port's routines for the engine: the connect routine gets a new ``ClientPort`` for the connection.
    init<S: Sendable, C: Sendable>(_ routines: PortRoutines<S, C>, serverCookie: S) {
        connect = { connection, request in
            let client = ClientPort(connection: connection, wcharSize: request.wcharSize, options: request.options)
            switch routines.connect(client, serverCookie, request.context) {
            case .accept(let cookie): return (.accept(TypedCookieBox(cookie)), client)
            case .refuse(let status): return (.refuse(status), client)
            }
        }
        disconnect = { cookie in
            guard let box = cookie as? TypedCookieBox<C> else {
                preconditionFailure("connection cookie of the wrong type")
            }
            routines.disconnect(box.value)
        }
        if let routine = routines.descriptorMessage {
            message = { cookie, input, capacity, descriptors -> MessageResult in
                guard let box = cookie as? TypedCookieBox<C> else {
                    preconditionFailure("connection cookie of the wrong type")
                }
                return routine(box.value, input, capacity, descriptors)
            }
        } else if let routine = routines.message {
            message = { cookie, input, capacity, _ -> MessageResult in
                guard let box = cookie as? TypedCookieBox<C> else {
                    preconditionFailure("connection cookie of the wrong type")
                }
                return routine(box.value, input, capacity)
            }
        } else {
            message = nil
        }
    }
}

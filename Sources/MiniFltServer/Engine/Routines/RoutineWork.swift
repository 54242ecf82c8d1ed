// SPDX-License-Identifier: MIT
import MiniFltWire

/// What runs a connection's routines: the connection itself. The runner knows it by this protocol alone, so
/// that the runner does not depend on the connection that queues work on it.
protocol RoutineTarget: AnyObject, Sendable {
    func runConnectRoutine(_ request: ConnectRequest, lane: RoutineRunner.Lane)
    func runMessageRoutine(_ send: PendingSend, cookie: CookieBox, lane: RoutineRunner.Lane)
    func runDisconnectRoutine(cookie: CookieBox)
}

/// One SEND waiting for its message routine (docs/protocol.md section 4).
struct PendingSend: Sendable {
    var id: UInt64
    var outputCapacity: UInt32
    var input: [UInt8]
    /// The descriptors that came with the SEND (docs/protocol.md section 12): the routine's to take, closed with
    /// this value when the SEND is answered without it (a disconnect, a limit).
    var descriptors: PassedDescriptors? = nil
}

/// The work for one routine call.
enum RoutineWork: Sendable {
    case connect(any RoutineTarget, ConnectRequest)
    /// The cookie was taken when the SEND was queued: it counts as in flight from then on, so no disconnect
    /// routine can start before it ran.
    case message(any RoutineTarget, PendingSend, CookieBox)
    case disconnect(any RoutineTarget, CookieBox)
}

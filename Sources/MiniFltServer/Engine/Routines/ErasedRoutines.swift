// SPDX-License-Identifier: MIT
import MiniFltWire

/// A connection cookie with its type erased: a class, so that getting the type back is a pointer compare
/// rather than an existential cast on every message.
class CookieBox: @unchecked Sendable {}

/// The cookie of one port's routines. Immutable; `C` is `Sendable`.
final class TypedCookieBox<C: Sendable>: CookieBox, @unchecked Sendable {
    let value: C
    init(_ value: C) { self.value = value }
}

/// The routines with their cookie types erased, as the engine calls them. Made from ``PortRoutines`` by the
/// port (`ErasedRoutines+PortRoutines.swift`), which also makes the client port the connect routine gets: the
/// engine hands over the connection and keeps the client port it is given back, as an opaque object.
struct ErasedRoutines: Sendable {
    /// The connect routine's result, and the client port it was handed.
    let connect:
        @Sendable (Connection, ConnectRequest) -> (result: ConnectResult<CookieBox>, client: any AnyObject & Sendable)
    let disconnect: @Sendable (CookieBox) -> Void
    let message: (@Sendable (CookieBox, [UInt8]?, Int, PassedDescriptors?) -> MessageResult)?
}

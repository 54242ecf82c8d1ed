// SPDX-License-Identifier: MIT
/// A descriptor that a port's I/O thread serves for its user (``ServerPort/serve(_:onReadable:)``).
public struct ServedDescriptor: Sendable, Hashable {
    let id: UInt64
    public let descriptor: Int32
}

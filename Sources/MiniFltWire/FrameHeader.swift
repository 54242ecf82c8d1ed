// SPDX-License-Identifier: MIT
/// The 16-byte header in front of every frame; all integers little-endian.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | body length (not counting the header) |
/// | 4 | 2 | type |
/// | 6 | 2 | flags, 0 in version 1 |
/// | 8 | 8 | message id (0 where the type has none) |
public struct FrameHeader: Hashable, Sendable {
    /// The size of the header on the wire.
    public static let size = 16

    public var bodyLength: UInt32
    /// The raw type; see ``FrameType``. Kept raw so that an unknown type can be reported.
    public var rawType: UInt16
    public var flags: UInt16
    public var messageID: UInt64

    public init(bodyLength: UInt32, type: FrameType, flags: UInt16 = 0, messageID: UInt64 = 0) {
        self.init(bodyLength: bodyLength, rawType: type.rawValue, flags: flags, messageID: messageID)
    }

    public init(bodyLength: UInt32, rawType: UInt16, flags: UInt16, messageID: UInt64) {
        self.bodyLength = bodyLength
        self.rawType = rawType
        self.flags = flags
        self.messageID = messageID
    }

    /// The known type, or nil for a type this version does not define.
    public var type: FrameType? { FrameType(rawValue: rawType) }

    /// Reads a header from the first 16 bytes of `bytes`.
    public init(decoding bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= FrameHeader.size)
        self.bodyLength = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        self.rawType = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        self.flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
        self.messageID = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// Appends the 16 header bytes to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        buffer.appendLittleEndian(bodyLength)
        buffer.appendLittleEndian(rawType)
        buffer.appendLittleEndian(flags)
        buffer.appendLittleEndian(messageID)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in little-endian byte order.
    @inlinable
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a little-endian integer at `offset`.
    @inlinable
    public func readLittleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

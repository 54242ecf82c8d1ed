// SPDX-License-Identifier: MIT
/// Why a byte stream is not a valid sequence of frames: each is answered with DISCONNECT and a close.
public enum FrameViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// The type field names no frame type of version 1.
    case unknownType(UInt16)
    /// The flags field is not 0.
    case nonZeroFlags(UInt16)
    /// The body is shorter than the type's fixed fields.
    case bodyTooShort(type: FrameType, length: UInt32)
    /// The body is over the configured message size limit.
    case bodyTooLong(length: UInt32, limit: Int)
    /// A frame of a type that this side never receives (a server sending SEND, a client sending MESSAGE).
    case wrongDirection(FrameType)
    /// A frame other than CONNECT arrived before CONNECT.
    case frameBeforeConnect(FrameType)
    /// CONNECT arrived on a connection that already had one.
    case secondConnect
    /// A SEND reused the id of a SEND still waiting for its result.
    case duplicateSendID(UInt64)
    /// The connection context is over 65535 bytes.
    case contextTooLong(Int)
    /// A descriptor count on a connection that did not opt in, on a type that carries none, or over 253
    /// (docs/protocol.md section 12).
    case descriptorsNotAllowed(type: FrameType, count: Int)
    /// A frame was complete while fewer descriptors than it announced had come.
    case missingDescriptors(type: FrameType, announced: Int, received: Int)
    /// Descriptors came that no frame announced.
    case unannouncedDescriptors(Int)
    /// The kernel cut the descriptors off (MSG_CTRUNC), or a control message was not SCM_RIGHTS.
    case truncatedDescriptors

    /// A sentence for the log.
    public var description: String {
        switch self {
        case .unknownType(let type): "unknown frame type \(type)"
        case .nonZeroFlags(let flags): "non-zero flags 0x\(String(flags, radix: 16)) (version 1 defines none)"
        case .bodyTooShort(let type, let length):
            "\(type) body of \(length) bytes is shorter than its \(type.fixedBodyLength) fixed bytes"
        case .bodyTooLong(let length, let limit): "body of \(length) bytes is over the limit of \(limit) bytes"
        case .wrongDirection(let type): "\(type) frame sent in the wrong direction"
        case .frameBeforeConnect(let type): "\(type) frame before CONNECT"
        case .secondConnect: "a second CONNECT"
        case .duplicateSendID(let id): "SEND id \(id) is already outstanding"
        case .contextTooLong(let length): "connection context of \(length) bytes is over 65535"
        case .descriptorsNotAllowed(let type, let count):
            "\(type) frame announces \(count) descriptors where none (or over 253) are allowed"
        case .missingDescriptors(let type, let announced, let received):
            "\(type) frame announced \(announced) descriptors and \(received) came with it"
        case .unannouncedDescriptors(let count): "\(count) descriptors came that no frame announced"
        case .truncatedDescriptors:
            "descriptors cut off by the kernel (MSG_CTRUNC) or a control message other than SCM_RIGHTS"
        }
    }
}

// SPDX-License-Identifier: MIT
public import MiniFltWire

/// A message from the filter (FltSendMessage), as `FilterGetMessage` returns it.
public struct FilterMessage: Sendable, Hashable {
    /// The size of FILTER_MESSAGE_HEADER: `{u32 ReplyLength; 4 pad bytes; u64 MessageId}`.
    public static let headerSize = 16

    /// FILTER_MESSAGE_HEADER.MessageId: what the reply names.
    public var messageID: UInt64
    /// FILTER_MESSAGE_HEADER.ReplyLength: the most reply bytes the filter accepts; 0 when it awaits none.
    public var replyLength: Int
    /// The message after the header.
    public var bytes: [UInt8]
    /// The descriptors that came with the message (docs/protocol.md section 12), nil without any: the caller's
    /// from here, closed when the object goes unless taken. Only a port connected with
    /// `FLT_PORT_FLAG_DESCRIPTORS` (``ConnectRequest/descriptorsOption``) receives any.
    /// Check ``descriptorsLost`` when it is nil and you expected some.
    public var descriptors: PassedDescriptors?
    /// Why the message came without the descriptors it announced, nil when it did not: the process was at its
    /// descriptor limit (RLIMIT_NOFILE) when they came, so the kernel dropped them (MSG_CTRUNC, docs/protocol.md
    /// section 12). A ``FilterPortError`` with HRESULT 0x80070004, the one libfltlib's
    /// FilterGetMessageDescriptors returns for it, whose message says what to do. The connection stays, and
    /// later messages bring theirs. No Windows original.
    public var descriptorsLost: FilterPortError?

    public init(
        messageID: UInt64,
        replyLength: Int,
        bytes: [UInt8],
        descriptors: PassedDescriptors? = nil,
        descriptorsLost: FilterPortError? = nil
    ) {
        self.messageID = messageID
        self.replyLength = replyLength
        self.bytes = bytes
        self.descriptors = descriptors
        self.descriptorsLost = descriptorsLost
    }

    /// What FilterGetMessage writes into the caller's buffer: the 16-byte header, then the bytes.
    public var buffer: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(FilterMessage.headerSize + bytes.count)
        buffer.appendLittleEndian(UInt32(replyLength))
        buffer.appendLittleEndian(UInt32(0))
        buffer.appendLittleEndian(messageID)
        buffer += bytes
        return buffer
    }
}

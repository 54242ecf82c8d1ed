// SPDX-License-Identifier: MIT
/// The type field of a frame header (docs/protocol.md section 2).
public enum FrameType: UInt16, Sendable, CaseIterable {
    /// Client to server: u16 version, u16 wchar size, u32 options, then the connection context.
    case connect = 1
    /// Server to client: i32 NTSTATUS; after a failure the server closes.
    case connectResult = 2
    /// Client to server: u32 output capacity, then the input bytes (FilterSendMessage).
    case send = 3
    /// Server to client: i32 NTSTATUS, then the output bytes.
    case sendResult = 4
    /// Server to client: u32 reply capacity (0: no reply awaited), then the message bytes (FltSendMessage).
    case message = 5
    /// Client to server: i32 status, then the reply bytes (FilterReplyMessage).
    case reply = 6
    /// Server to client: i32 NTSTATUS for that reply.
    case replyResult = 7
    /// Server to client: i32 NTSTATUS saying why, then the server closes.
    case disconnect = 8

    /// Bytes of the body that every frame of this type carries before its variable part.
    public var fixedBodyLength: Int {
        switch self {
        case .connect: 8
        case .connectResult, .send, .sendResult, .message, .reply, .replyResult, .disconnect: 4
        }
    }

    /// True for the types a client sends.
    public var isClientToServer: Bool {
        switch self {
        case .connect, .send, .reply: true
        case .connectResult, .sendResult, .message, .replyResult, .disconnect: false
        }
    }

    /// True for the types that may carry descriptors (docs/protocol.md section 12).
    public var carriesDescriptors: Bool {
        switch self {
        case .send, .sendResult, .message, .reply: true
        case .connect, .connectResult, .replyResult, .disconnect: false
        }
    }
}

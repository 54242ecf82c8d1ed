// SPDX-License-Identifier: MIT
/// One decoded frame, its body split into the fields that docs/protocol.md section 2 gives each type.
public enum Frame: Hashable, Sendable {
    case connect(ConnectRequest)
    case connectResult(NTStatus)
    /// `id` matches the SEND_RESULT to its SEND.
    case send(id: UInt64, outputCapacity: UInt32, input: [UInt8])
    case sendResult(id: UInt64, status: NTStatus, output: [UInt8])
    case message(id: UInt64, replyCapacity: UInt32, body: [UInt8])
    case reply(id: UInt64, status: NTStatus, body: [UInt8])
    case replyResult(id: UInt64, status: NTStatus)
    case disconnect(NTStatus)

    /// The frame's type.
    public var type: FrameType {
        switch self {
        case .connect: .connect
        case .connectResult: .connectResult
        case .send: .send
        case .sendResult: .sendResult
        case .message: .message
        case .reply: .reply
        case .replyResult: .replyResult
        case .disconnect: .disconnect
        }
    }
}

/// The body of a CONNECT frame.
public struct ConnectRequest: Hashable, Sendable {
    /// The protocol version this library speaks.
    public static let currentVersion: UInt16 = 1

    public var version: UInt16
    public var wcharSize: WideCharacterSize
    /// FilterConnectCommunicationPort's options (`FLT_PORT_FLAG_SYNC_HANDLE` = 0x1).
    public var options: UInt32
    /// The connection context, 0...65535 bytes, handed to the connect routine.
    public var context: [UInt8]

    public init(
        version: UInt16 = ConnectRequest.currentVersion,
        wcharSize: WideCharacterSize,
        options: UInt32 = 0,
        context: [UInt8] = []
    ) {
        self.version = version
        self.wcharSize = wcharSize
        self.options = options
        self.context = context
    }

    /// The largest connection context FilterConnectCommunicationPort accepts (a WORD size).
    public static let maximumContextLength = 65535
    /// `FLT_PORT_FLAG_DESCRIPTORS`: the client asks for descriptors with messages (docs/protocol.md section 12).
    public static let descriptorsOption: UInt32 = 0x100
    /// The option bits version 1 defines.
    public static let knownOptions: UInt32 = 0x1 | descriptorsOption
}

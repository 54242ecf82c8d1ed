// SPDX-License-Identifier: MIT
public import MiniFltWire

/// What FilterConnectCommunicationPort takes besides the port name, and what the Linux port adds.
public struct ConnectOptions: Sendable, Hashable {
    /// The connection context handed to the connect routine (0...65535 bytes).
    public var context: [UInt8] = []
    /// How this client lays out wide text: UTF-16 as on Windows unless the peer is C on Linux.
    public var wcharSize: WideCharacterSize = .utf16
    /// FilterConnectCommunicationPort's options (`FLT_PORT_FLAG_SYNC_HANDLE` = 0x1), and
    /// `FLT_PORT_FLAG_DESCRIPTORS` = 0x100 (``MiniFltWire/ConnectRequest/descriptorsOption``) to send and
    /// receive descriptors with messages (docs/protocol.md section 12).
    public var options: UInt32 = 0
    /// A uid besides 0 that the listening process may have (docs/protocol.md section 1). Anyone can bind a free abstract
    /// name, so a server whose uid is neither 0 nor this is refused with ``MiniFltWire/HResult/serverIdentityMismatch``.
    public var expectedServerUID: UInt32? = nil
    /// How long to wait for the server's answer to CONNECT. Default 30 s.
    public var handshakeTimeout: Duration = .seconds(30)
    /// The server's message size limit (minifltd `--max-message-size`, 1 MiB by default). A send whose frame
    /// body would exceed it fails here with `E_INVALIDARG` instead of costing the connection: the server
    /// disconnects a client that sends an oversized frame, and the protocol does not announce the limit.
    public var maxMessageSize: Int = 1 << 20

    public init(
        context: [UInt8] = [],
        wcharSize: WideCharacterSize = .utf16,
        options: UInt32 = 0,
        expectedServerUID: UInt32? = nil
    ) {
        self.context = context
        self.wcharSize = wcharSize
        self.options = options
        self.expectedServerUID = expectedServerUID
    }
}

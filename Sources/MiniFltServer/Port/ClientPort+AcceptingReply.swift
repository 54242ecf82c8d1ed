// SPDX-License-Identifier: MIT
public import MiniFltWire

extension ClientPort {
    /// ``send(_:descriptors:replyCapacity:timeout:completion:)`` for a sender that may have stopped wanting
    /// the reply by the time it comes (a filter whose operation was answered meanwhile by a deadline of its
    /// own): `accept` returns whether it took the outcome. For a reply it runs before the client's
    /// REPLY_RESULT is written, and false makes that 0xC01C0020 (STATUS_FLT_NO_WAITER_FOR_REPLY), as for a
    /// reply nobody waits for, so a client told success knows its reply was used (docs/protocol.md
    /// section 5). For the other outcomes the value is ignored. No Windows counterpart: there the reply goes
    /// to the thread blocked in FltSendMessage, which cannot have answered its operation meanwhile.
    public func sendAcceptingReply(
        _ message: [UInt8],
        descriptors: PassedDescriptors?,
        replyCapacity: Int = 0,
        timeout: Duration? = nil,
        accept: @escaping @Sendable (FilterMessageResult, PassedDescriptors?) -> Bool
    ) {
        if ClientPort.refuses(descriptors) {
            _ = accept(.invalidParameter, nil)
            return
        }
        connection.sendMessage(
            message,
            descriptors: descriptors,
            replyCapacity: max(0, min(replyCapacity, Int(UInt32.max))),
            timeout: timeout,
            accept: accept
        )
    }
}

// SPDX-License-Identifier: MIT
import MiniFltWire
import Testing

@Suite("Frame codec")
struct FrameCodecTests {
    static let frames: [Frame] = [
        .connect(ConnectRequest(wcharSize: .utf16, options: 1, context: [1, 2, 3])),
        .connect(ConnectRequest(wcharSize: .utf32)),
        .connectResult(.success),
        .connectResult(.accessDenied),
        .send(id: 7, outputCapacity: 4096, input: Array(repeating: 0x41, count: 4096)),
        .send(id: 8, outputCapacity: 0, input: []),
        .sendResult(id: 7, status: .success, output: [1, 2]),
        .message(id: 1 << 40, replyCapacity: 4, body: [9]),
        .reply(id: 3, status: .success, body: [0, 0, 0, 1]),
        .replyResult(id: 3, status: .fltNoWaiterForReply),
        .disconnect(.portDisconnected),
    ]

    @Test("every frame survives encode and decode, whole and byte by byte", arguments: frames)
    func roundTrip(frame: Frame) throws {
        let role: FrameDecoder.Role = frame.type.isClientToServer ? .server : .client
        var whole = FrameDecoder(role: role, maximumBodyLength: 1 << 20)
        whole.append(frame.encoded())
        #expect(try whole.next() == frame)
        #expect(try whole.next() == nil)

        var trickle = FrameDecoder(role: role, maximumBodyLength: 1 << 20)
        var decoded: [Frame] = []
        for byte in frame.encoded() + frame.encoded() {
            trickle.append([byte])
            if let next = try trickle.next() { decoded.append(next) }
        }
        #expect(decoded == [frame, frame])
    }

    @Test("the header is little-endian, 16 bytes, as docs/protocol.md section 2 lays it out")
    func headerLayout() {
        let bytes = Frame.sendResult(id: 0x0102_0304_0506_0708, status: .accessDenied, output: [0xAA]).encoded()
        #expect(
            bytes == [
                5, 0, 0, 0, 4, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1,
                0x22, 0x00, 0x00, 0xC0, 0xAA,
            ]
        )
        let connect = Frame.connect(ConnectRequest(wcharSize: .utf32, options: 1, context: [7])).encoded()
        #expect(connect == [9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4, 0, 1, 0, 0, 0, 7])
    }

    static let malformed: [(String, [UInt8], FrameViolation)] = [
        ("unknown type", header(length: 4, type: 99), .unknownType(99)),
        ("type 0", header(length: 4, type: 0), .unknownType(0)),
        ("non-zero flags", header(length: 4, type: 3, flags: 1), .nonZeroFlags(1)),
        ("SEND shorter than its capacity field", header(length: 3, type: 3), .bodyTooShort(type: .send, length: 3)),
        ("CONNECT shorter than its fixed fields", header(length: 7, type: 1), .bodyTooShort(type: .connect, length: 7)),
        ("length 0 on REPLY", header(length: 0, type: 6), .bodyTooShort(type: .reply, length: 0)),
        ("4 GiB body", header(length: UInt32.max, type: 3), .bodyTooLong(length: UInt32.max, limit: 1 << 20)),
        (
            "one byte over the limit", header(length: (1 << 20) + 1, type: 3),
            .bodyTooLong(length: (1 << 20) + 1, limit: 1 << 20)
        ),
        ("server-only type from a client", header(length: 4, type: 4), .wrongDirection(.sendResult)),
        ("DISCONNECT from a client", header(length: 4, type: 8), .wrongDirection(.disconnect)),
    ]

    @Test("malformed headers are rejected from the 16 header bytes alone", arguments: malformed)
    func malformedHeader(name: String, bytes: [UInt8], violation: FrameViolation) {
        var decoder = FrameDecoder(role: .server, maximumBodyLength: 1 << 20)
        decoder.append(bytes)
        #expect(throws: violation, "\(name)") { try decoder.next() }
    }

    @Test("a connection context over 65535 bytes is refused before it is buffered")
    func contextTooLong() {
        var decoder = FrameDecoder(role: .server, maximumBodyLength: 1 << 20)
        decoder.append(Self.header(length: 8 + 65536, type: 1))
        #expect(throws: FrameViolation.contextTooLong(65536)) { try decoder.next() }
    }

    @Test("a body at exactly the limit is accepted")
    func bodyAtLimit() throws {
        var decoder = FrameDecoder(role: .server, maximumBodyLength: 64)
        decoder.append(Frame.send(id: 1, outputCapacity: 0, input: Array(repeating: 1, count: 60)).encoded())
        #expect(try decoder.next() != nil)
    }

    @Test("a client decoder refuses frames only a client sends")
    func clientRole() {
        var decoder = FrameDecoder(role: .client, maximumBodyLength: 1 << 20)
        decoder.append(Frame.send(id: 1, outputCapacity: 0, input: []).encoded())
        #expect(throws: FrameViolation.wrongDirection(.send)) { try decoder.next() }
    }

    static func header(length: UInt32, type: UInt16, flags: UInt16 = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        FrameHeader(bodyLength: length, rawType: type, flags: flags, messageID: 1).encode(into: &bytes)
        return bytes
    }
}

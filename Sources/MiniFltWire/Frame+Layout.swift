// SPDX-License-Identifier: MIT
/// The body layout of every frame type (docs/protocol.md section 2), in one place: how each is written and
/// how each is read back. The header is ``FrameHeader``'s; the fixed fields' size is
/// ``FrameType/fixedBodyLength``, which ``FrameDecoder`` checks before it builds a frame here.
///
/// | type | fixed fields | then |
/// |---|---|---|
/// | CONNECT | version (2), wchar size (2), options (4) | the connection context |
/// | CONNECT_RESULT, DISCONNECT | status (4) | nothing |
/// | SEND | output capacity (4) | the input |
/// | SEND_RESULT | status (4) | the output |
/// | MESSAGE | reply capacity (4) | the message |
/// | REPLY | status (4) | the reply |
/// | REPLY_RESULT | status (4) | nothing |
extension Frame {
    /// The frame as bytes: header and body.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// The frame as bytes, announcing `descriptorCount` descriptors in the header's flags (docs/protocol.md
    /// section 12); the caller sends them with the frame's first byte. Not public: the count must be 0 to 253,
    /// which every public call that attaches descriptors checks first and refuses with an error (a count
    /// from a caller's array or a routine's result never reaches this precondition).
    package func encoded(descriptorCount: Int) -> [UInt8] {
        precondition((0...PassedDescriptors.maximumPerFrame).contains(descriptorCount))
        var bytes = encoded()
        bytes[6] = UInt8(descriptorCount)
        return bytes
    }

    /// Appends the frame's bytes to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .connect(let request):
            Frame.append(.connect, id: 0, into: &buffer, payload: request.context) { buffer in
                buffer.appendLittleEndian(request.version)
                buffer.appendLittleEndian(request.wcharSize.rawValue)
                buffer.appendLittleEndian(request.options)
            }
        case .connectResult(let status), .disconnect(let status):
            Frame.append(type, id: 0, into: &buffer, payload: []) { $0.appendLittleEndian(status.wireValue) }
        case .send(let id, let capacity, let input):
            Frame.append(.send, id: id, into: &buffer, payload: input) { $0.appendLittleEndian(capacity) }
        case .sendResult(let id, let status, let output):
            Frame.append(.sendResult, id: id, into: &buffer, payload: output) {
                $0.appendLittleEndian(status.wireValue)
            }
        case .message(let id, let capacity, let body):
            Frame.append(.message, id: id, into: &buffer, payload: body) { $0.appendLittleEndian(capacity) }
        case .reply(let id, let status, let body):
            Frame.append(.reply, id: id, into: &buffer, payload: body) {
                $0.appendLittleEndian(status.wireValue)
            }
        case .replyResult(let id, let status):
            Frame.append(.replyResult, id: id, into: &buffer, payload: []) {
                $0.appendLittleEndian(status.wireValue)
            }
        }
    }

    /// Appends a header, the fixed fields `fields` writes (``FrameType/fixedBodyLength`` bytes) and `payload`.
    private static func append(
        _ type: FrameType,
        id: UInt64,
        into buffer: inout [UInt8],
        payload: [UInt8],
        fields: (inout [UInt8]) -> Void
    ) {
        let fixed = type.fixedBodyLength
        buffer.reserveCapacity(buffer.count + FrameHeader.size + fixed + payload.count)
        FrameHeader(bodyLength: UInt32(fixed + payload.count), type: type, messageID: id).encode(into: &buffer)
        let fieldsStart = buffer.count
        fields(&buffer)
        assert(buffer.count - fieldsStart == fixed, "\(type)'s fixed fields are \(fixed) bytes")
        buffer.append(contentsOf: payload)
    }

    /// Builds a frame from a body whose length `FrameDecoder.validate` already checked.
    init(type: FrameType, id: UInt64, body: UnsafeRawBufferPointer) {
        let tail = { (offset: Int) in [UInt8](UnsafeRawBufferPointer(rebasing: body[offset...])) }
        switch type {
        case .connect:
            let wchar = WideCharacterSize(rawValue: body.readLittleEndian(at: 2)) ?? .unsupported
            self = .connect(
                ConnectRequest(
                    version: body.readLittleEndian(at: 0),
                    wcharSize: wchar,
                    options: body.readLittleEndian(at: 4),
                    context: tail(type.fixedBodyLength)
                )
            )
        case .connectResult: self = .connectResult(NTStatus(wireValue: body.readLittleEndian(at: 0)))
        case .disconnect: self = .disconnect(NTStatus(wireValue: body.readLittleEndian(at: 0)))
        case .send:
            self = .send(id: id, outputCapacity: body.readLittleEndian(at: 0), input: tail(type.fixedBodyLength))
        case .sendResult:
            self = .sendResult(
                id: id,
                status: NTStatus(wireValue: body.readLittleEndian(at: 0)),
                output: tail(type.fixedBodyLength)
            )
        case .message:
            self = .message(id: id, replyCapacity: body.readLittleEndian(at: 0), body: tail(type.fixedBodyLength))
        case .reply:
            self = .reply(
                id: id,
                status: NTStatus(wireValue: body.readLittleEndian(at: 0)),
                body: tail(type.fixedBodyLength)
            )
        case .replyResult: self = .replyResult(id: id, status: NTStatus(wireValue: body.readLittleEndian(at: 0)))
        }
    }
}

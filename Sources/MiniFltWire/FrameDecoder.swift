// SPDX-License-Identifier: MIT
/// Splits a byte stream into frames, checking each header before its body is buffered.
///
/// A header that breaks docs/protocol.md section 2 is rejected as soon as its 16 bytes are in: a length field of 4 GiB
/// fails before any memory is set aside for the body. The decoder buffers at most one frame beyond what was
/// already decoded, so its memory is bounded by the size limit.
public struct FrameDecoder: Sendable {
    /// Which side of the connection this decoder reads for.
    public enum Role: Sendable {
        /// Accepts CONNECT, SEND and REPLY.
        case server
        /// Accepts CONNECT_RESULT, SEND_RESULT, MESSAGE, REPLY_RESULT and DISCONNECT.
        case client
    }

    public let role: Role
    /// Whether frames may announce descriptors (docs/protocol.md section 12); until then a count in the flags
    /// is a violation. A server's decoder sets it itself when it decodes a CONNECT with
    /// `FLT_PORT_FLAG_DESCRIPTORS`, so that the frames after it in the same read are read right; a client sets
    /// it when it asked for descriptors.
    public var acceptsDescriptors = false
    /// The largest body accepted, in bytes.
    public let maximumBodyLength: Int

    private var storage: [UInt8] = []
    private var readIndex = 0

    public init(role: Role, maximumBodyLength: Int) {
        self.role = role
        self.maximumBodyLength = maximumBodyLength
    }

    /// Bytes received and not yet decoded.
    public var bufferedByteCount: Int { storage.count - readIndex }

    /// Appends received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    /// Appends received bytes from a raw buffer (the event loop's per-thread read buffer).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    /// The next whole frame, nil when more bytes are needed.
    /// - Throws: ``FrameViolation`` for a frame that breaks the format; the stream is then unusable.
    public mutating func next() throws(FrameViolation) -> Frame? {
        try nextCounted()?.frame
    }

    /// The next whole frame and the number of descriptors its header announces, nil when more bytes are needed.
    public mutating func nextCounted() throws(FrameViolation) -> (frame: Frame, descriptorCount: Int)? {
        var decoded: (frame: Frame, length: Int, descriptors: Int)?
        var failure: FrameViolation?
        storage.withUnsafeBytes { bytes in
            do throws(FrameViolation) {
                decoded = try frame(in: UnsafeRawBufferPointer(rebasing: bytes[readIndex...]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        guard let decoded else { return nil }
        noteDecoded(decoded.frame)
        readIndex += decoded.length
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 64 * 1024)
            readIndex = 0
        }
        return (decoded.frame, decoded.descriptors)
    }

    /// Decodes the frames in freshly received `bytes`, handing each to `handle` until it returns false.
    ///
    /// When nothing is buffered, whole frames are decoded straight from `bytes` and only a trailing partial
    /// frame is copied: the common case, one request per read, copies nothing.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, _ handle: (Frame) -> Bool) throws(FrameViolation) {
        try decodeCounted(bytes) { frame, _ in handle(frame) }
    }

    /// ``decode(_:_:)`` that also hands over how many descriptors each frame announces (docs/protocol.md
    /// section 12).
    public mutating func decodeCounted(
        _ bytes: UnsafeRawBufferPointer,
        _ handle: (Frame, Int) -> Bool
    ) throws(FrameViolation) {
        var offset = 0
        if bufferedByteCount == 0 {
            while let (frame, length, descriptors) = try frame(in: UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
                offset += length
                noteDecoded(frame)
                if !handle(frame, descriptors) { return }
            }
        }
        append(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        while let (frame, descriptors) = try nextCounted() {
            if !handle(frame, descriptors) { return }
        }
    }

    /// How many descriptors the buffered partial frame may still claim (docs/protocol.md section 12): 0 with
    /// nothing buffered, its header's count once the header is in, else 253.
    public var partialFrameDescriptorCapacity: Int {
        let buffered = bufferedByteCount
        if buffered == 0 { return 0 }
        if buffered < FrameHeader.size { return PassedDescriptors.maximumPerFrame }
        return storage.withUnsafeBytes { bytes in
            Int(FrameHeader(decoding: UnsafeRawBufferPointer(rebasing: bytes[readIndex...])).flags & 0xFF)
        }
    }

    /// The whole frame at the start of `bytes` and its length, nil when more bytes are needed.
    private func frame(in bytes: UnsafeRawBufferPointer) throws(FrameViolation) -> (Frame, Int, Int)? {
        guard bytes.count >= FrameHeader.size else { return nil }
        let header = FrameHeader(decoding: bytes)
        let type = try validate(header)
        let frameLength = FrameHeader.size + Int(header.bodyLength)
        guard bytes.count >= frameLength else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.size..<frameLength])
        return (Frame(type: type, id: header.messageID, body: body), frameLength, Int(header.flags & 0xFF))
    }

    /// Checks everything the header alone can tell.
    public func validate(_ header: FrameHeader) throws(FrameViolation) -> FrameType {
        guard let type = header.type else { throw .unknownType(header.rawType) }
        if header.flags != 0 {
            // Only the low byte is defined: the descriptor count, where the connection opted in (section 12).
            guard acceptsDescriptors, header.flags & 0xFF00 == 0 else { throw .nonZeroFlags(header.flags) }
            let count = Int(header.flags)
            guard type.carriesDescriptors, count <= PassedDescriptors.maximumPerFrame else {
                throw .descriptorsNotAllowed(type: type, count: count)
            }
        }
        guard type.isClientToServer == (role == .server) else { throw .wrongDirection(type) }
        guard Int(header.bodyLength) >= type.fixedBodyLength else {
            throw .bodyTooShort(type: type, length: header.bodyLength)
        }
        guard Int(header.bodyLength) <= maximumBodyLength else {
            throw .bodyTooLong(length: header.bodyLength, limit: maximumBodyLength)
        }
        if type == .connect, Int(header.bodyLength) - type.fixedBodyLength > ConnectRequest.maximumContextLength {
            throw .contextTooLong(Int(header.bodyLength) - type.fixedBodyLength)
        }
        return type
    }

    private mutating func noteDecoded(_ frame: Frame) {
        if case .connect(let request) = frame, request.options & ConnectRequest.descriptorsOption != 0 {
            acceptsDescriptors = true
        }
    }

    private mutating func compactIfWorthIt() {
        guard readIndex > 0, readIndex >= storage.count / 2 else { return }
        storage.removeSubrange(0..<readIndex)
        readIndex = 0
    }
}

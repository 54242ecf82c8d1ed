// SPDX-License-Identifier: MIT
import MiniFltWire

/// The frame decoder against any byte stream, for both roles.
///
/// The first input byte picks the role, the size limit and (bit 3) whether the connection opted into
/// descriptors (docs/protocol.md section 12); the rest is the stream. Checked:
/// - decoding the stream in one piece, byte by byte, and in the chunks the second byte's value sets give the
///   same frames and the same violation (the event loop decodes whatever one `recv` returned);
/// - every frame encodes to bytes that decode to the same frame;
/// - the decoder never holds more than one frame beyond what it decoded (memory bounded by the limit);
/// - a descriptor count comes only with an opted-in stream, on MESSAGE, SEND, SEND_RESULT or REPLY, at most 253,
///   and survives encoding; the partial frame never claims more than 253.
public enum FrameDecoderFuzzing {
    struct Outcome: Equatable {
        var frames: [Frame] = []
        var counts: [Int] = []
        var violation: FrameViolation?
    }

    public static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        let role: FrameDecoder.Role = input[0] & 1 == 0 ? .server : .client
        let limit = [16, 64, 4096, 1 << 20][Int(input[0] >> 1) & 3]
        let descriptors = input[0] & 8 != 0
        let chunk = Int(input[1]) + 1
        let stream = UnsafeRawBufferPointer(rebasing: input[2...])

        let whole = decode(stream, role: role, limit: limit, chunk: stream.count, descriptors: descriptors)
        let bytewise = decode(stream, role: role, limit: limit, chunk: 1, descriptors: descriptors)
        let chunked = decode(stream, role: role, limit: limit, chunk: chunk, descriptors: descriptors)
        invariant(whole == bytewise, "whole \(whole) != byte by byte \(bytewise)")
        invariant(whole == chunked, "whole \(whole) != chunks of \(chunk) \(chunked)")

        // A server's decoder opts in itself at a CONNECT that asks for descriptors.
        var optedIn = descriptors
        for (frame, count) in zip(whole.frames, whole.counts) {
            invariant(
                count == 0 || (optedIn && frame.type.carriesDescriptors && count <= 253),
                "\(frame) decoded with \(count) descriptors"
            )
            if case .connect(let request) = frame, request.options & ConnectRequest.descriptorsOption != 0 {
                optedIn = true
            }
            var decoder = FrameDecoder(role: role, maximumBodyLength: Int(UInt32.max))
            decoder.acceptsDescriptors = true
            decoder.append(frame.encoded(descriptorCount: count))
            let again = try? decoder.nextCounted()
            invariant(
                again?.frame == frame && again?.descriptorCount == count,
                "\(frame) with \(count) descriptors encodes to bytes that decode to \(String(describing: again))"
            )
        }
    }

    /// Decodes `stream` fed in pieces of `chunk` bytes through `decode(_:_:)`, as the server's loop does.
    static func decode(
        _ stream: UnsafeRawBufferPointer,
        role: FrameDecoder.Role,
        limit: Int,
        chunk: Int,
        descriptors: Bool
    ) -> Outcome {
        var decoder = FrameDecoder(role: role, maximumBodyLength: limit)
        decoder.acceptsDescriptors = descriptors
        var outcome = Outcome()
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + max(chunk, 1))
            do {
                try decoder.decodeCounted(UnsafeRawBufferPointer(rebasing: stream[offset..<end])) { frame, count in
                    outcome.frames.append(frame)
                    outcome.counts.append(count)
                    return true
                }
            } catch {
                outcome.violation = error
                return outcome
            }
            invariant(decoder.partialFrameDescriptorCapacity <= 253, "a partial frame claims over 253 descriptors")
            invariant(
                decoder.bufferedByteCount < FrameHeader.size + limit,
                "\(decoder.bufferedByteCount) bytes buffered with a limit of \(limit)"
            )
            offset = end
        }
        return outcome
    }
}

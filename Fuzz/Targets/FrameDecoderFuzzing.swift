// SPDX-License-Identifier: MIT
import MiniFltWire

/// The frame decoder against any byte stream, for both roles.
///
/// The first input byte picks the role and the size limit; the rest is the stream. Checked:
/// - decoding the stream in one piece, byte by byte, and in the chunks the second byte's value sets give the
///   same frames and the same violation (the event loop decodes whatever one `recv` returned);
/// - every frame encodes to bytes that decode to the same frame;
/// - the decoder never holds more than one frame beyond what it decoded (memory bounded by the limit).
public enum FrameDecoderFuzzing {
    struct Outcome: Equatable {
        var frames: [Frame] = []
        var violation: FrameViolation?
    }

    public static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        let role: FrameDecoder.Role = input[0] & 1 == 0 ? .server : .client
        let limit = [16, 64, 4096, 1 << 20][Int(input[0] >> 1) & 3]
        let chunk = Int(input[1]) + 1
        let stream = UnsafeRawBufferPointer(rebasing: input[2...])

        let whole = decode(stream, role: role, limit: limit, chunk: stream.count)
        let bytewise = decode(stream, role: role, limit: limit, chunk: 1)
        let chunked = decode(stream, role: role, limit: limit, chunk: chunk)
        invariant(whole == bytewise, "whole \(whole) != byte by byte \(bytewise)")
        invariant(whole == chunked, "whole \(whole) != chunks of \(chunk) \(chunked)")

        for frame in whole.frames {
            var decoder = FrameDecoder(role: role, maximumBodyLength: Int(UInt32.max))
            decoder.append(frame.encoded())
            let again = try? decoder.next()
            invariant(again == frame, "\(frame) encodes to bytes that decode to \(String(describing: again))")
        }
    }

    /// Decodes `stream` fed in pieces of `chunk` bytes through `decode(_:_:)`, as the server's loop does.
    static func decode(_ stream: UnsafeRawBufferPointer, role: FrameDecoder.Role, limit: Int, chunk: Int) -> Outcome {
        var decoder = FrameDecoder(role: role, maximumBodyLength: limit)
        var outcome = Outcome()
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + max(chunk, 1))
            do {
                try decoder.decode(UnsafeRawBufferPointer(rebasing: stream[offset..<end])) { frame in
                    outcome.frames.append(frame)
                    return true
                }
            } catch {
                outcome.violation = error
                return outcome
            }
            invariant(
                decoder.bufferedByteCount < FrameHeader.size + limit,
                "\(decoder.bufferedByteCount) bytes buffered with a limit of \(limit)"
            )
            offset = end
        }
        return outcome
    }
}

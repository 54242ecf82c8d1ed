// SPDX-License-Identifier: MIT
/// The libFuzzer targets: each takes any bytes and traps (a crash libFuzzer keeps) when an invariant breaks.
///
/// The same bodies run in `make test`, over the seed corpus and every kept crash (`Fuzz/Corpus`,
/// `Fuzz/Regressions`), and under libFuzzer in `make fuzz` (the `minifltfuzz` entry built with
/// `-sanitize=fuzzer`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The server's and the client's frame decoder: ``FrameDecoderFuzzing``.
    case frameDecoder = "frame-decoder"
    /// The SDDL parser and the access check: ``SDDLFuzzing``.
    case sddl
    /// The client library reading what a hostile server sends: ``ClientFramesFuzzing``.
    case clientFrames = "client-frames"

    /// Runs one input through the target.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .frameDecoder: FrameDecoderFuzzing.run(bytes)
        case .sddl: SDDLFuzzing.run(bytes)
        case .clientFrames: ClientFramesFuzzing.run(bytes)
        }
    }

    /// Runs one input through the target.
    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }
}

/// Traps with `message` when `condition` is false: in a fuzz run that is the finding, kept as a crash file.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}

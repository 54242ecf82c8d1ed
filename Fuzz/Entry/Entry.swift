// SPDX-License-Identifier: MIT
import MiniFltFuzzing

#if FUZZING
import Foundation

/// The target this binary fuzzes, from `MINIFLT_FUZZ_TARGET` (`make fuzz` sets it).
let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["MINIFLT_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set MINIFLT_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

/// libFuzzer's entry point (the binary is built with `-sanitize=fuzzer`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// Without libFuzzer: `minifltfuzz TARGET FILE...` runs each file through the target once, to reproduce a
/// finding in an ordinary build.
@main
enum Replay {
    static func main() throws {
        try FuzzReplay.main(CommandLine.arguments)
    }
}
#endif

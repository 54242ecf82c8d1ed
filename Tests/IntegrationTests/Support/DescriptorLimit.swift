// SPDX-License-Identifier: MIT
import Foundation

/// The lowest descriptor number process `pid` has free.
func lowestFreeDescriptor(of pid: Int32) throws -> Int {
    let open = Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int($0) })
    return (0...).first { !open.contains($0) } ?? 0
}

/// Sets the soft RLIMIT_NOFILE of process `pid` from outside (prlimit), so that a test can put a client at
/// its descriptor limit without lowering its own: true when it took.
func setDescriptorLimit(of pid: Int32, to limit: Int) throws -> Bool {
    try runProgram("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=\(limit):"]).status == 0
}

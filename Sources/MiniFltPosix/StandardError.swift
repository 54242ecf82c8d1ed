// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// stderr as a `TextOutputStream` (the C global `stderr` does not compile in Swift 6 mode).
package struct StandardError: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) { writeAll(2, Array(string.utf8)) }
}

/// stdout as an unbuffered `TextOutputStream`: each line reaches a pipe reader at once.
package struct StandardOutput: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) { writeAll(1, Array(string.utf8)) }

    /// Writes `bytes` as they are (a file path need not be UTF-8).
    package static func write(bytes: [UInt8]) { writeAll(1, bytes) }
}

/// Writes all of `bytes` to `fd`, waiting as long as the descriptor makes it wait, and giving up quietly on
/// an error (there is nowhere left to report it).
package func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    bytes.withUnsafeBytes { raw in
        while offset < raw.count, let base = raw.baseAddress {
            let written = Glibc.write(fd, base + offset, raw.count - offset)
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}

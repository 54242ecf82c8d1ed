#if canImport(Glibc)
import Glibc
#endif

/// stderr as a `TextOutputStream` (the C global `stderr` does not compile in Swift 6 mode).
package struct StandardError: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) { writeAll(2, string) }
}

/// stdout as an unbuffered `TextOutputStream`: each line reaches a pipe reader at once.
package struct StandardOutput: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) { writeAll(1, string) }
}

/// Writes all of `string` to `fd`, giving up quietly on an error (there is nowhere left to report it).
private func writeAll(_ fd: Int32, _ string: String) {
    let bytes = Array(string.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}

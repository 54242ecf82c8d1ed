#if canImport(Glibc)
import Glibc
#endif

/// stderr as a `TextOutputStream` (the C global `stderr` does not compile in Swift 6 mode).
package struct StandardError: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}

/// stdout as an unbuffered `TextOutputStream`: each line reaches a pipe reader at once.
package struct StandardOutput: TextOutputStream {
    package init() {}

    package mutating func write(_ string: String) {
        let bytes = Array(string.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}

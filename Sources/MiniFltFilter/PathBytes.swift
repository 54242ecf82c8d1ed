// SPDX-License-Identifier: MIT

/// Calls `body` with `path` as a NUL-terminated C string: paths are bytes here, never Strings, so that a
/// name that is not UTF-8 reaches the kernel as it is.
func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    let terminated = path.map { CChar(bitPattern: $0) } + [0]
    return body(terminated)
}

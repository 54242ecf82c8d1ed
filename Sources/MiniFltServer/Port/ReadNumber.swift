// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// The first decimal number in a small file such as `/proc/sys/kernel/overflowuid`.
func readNumber(_ path: String) -> UInt32? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 32)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return UInt32(text.filter(\.isNumber))
}

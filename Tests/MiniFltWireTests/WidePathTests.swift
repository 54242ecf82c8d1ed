// SPDX-License-Identifier: MIT
import MiniFltWire
import Testing

@Suite("File paths as wide text: lossless, and marked when too long")
struct WidePathTests {
    @Test("two names that differ only in an invalid byte stay different, and decode to their own bytes")
    func invalidBytesStayApart() {
        let first = Array("/tmp/bad".utf8) + [0xFF] + Array(".txt".utf8)
        let second = Array("/tmp/bad".utf8) + [0xFE] + Array(".txt".utf8)
        for size in [WideCharacterSize.utf16, .utf32] {
            let a = WidePath.encodeTerminated(first, as: size, length: 4096).bytes
            let b = WidePath.encodeTerminated(second, as: size, length: 4096).bytes
            #expect(a != b)
            #expect(WidePath.decode(a, as: size) == first)
            #expect(WidePath.decode(b, as: size) == second)
        }
    }

    @Test(
        "a path longer than the buffer keeps its end after U+2026, from a folder boundary, and says so",
        arguments: [WideCharacterSize.utf16, .utf32]
    )
    func longPath(size: WideCharacterSize) {
        let folders = (0..<300).map { "folder\($0)" }.joined(separator: "/")
        let path = Array("/srv/\(folders)/test.txt".utf8)  // about 3,200 characters
        let (bytes, shortened) = WidePath.encodeTerminated(path, as: size, length: 4096)
        #expect(shortened)
        #expect(bytes.count == 4096)
        let text = String(decoding: WidePath.decode(bytes, as: size), as: UTF8.self)
        #expect(text.hasPrefix("\u{2026}/folder"), "\(text.prefix(20))")
        #expect(text.hasSuffix("/folder299/test.txt"))
        let capacity = 4096 / size.byteCount - 1
        #expect(text.unicodeScalars.count <= capacity)
        #expect(text.unicodeScalars.count > capacity - 12, "cut further back than the nearest folder boundary")
        #expect(bytes.suffix(size.byteCount).allSatisfy { $0 == 0 }, "no terminator")
    }

    @Test("a path that fills the buffer exactly is sent whole; one character more is shortened")
    func boundary() {
        let exact = [UInt8(ascii: "/")] + Array(repeating: UInt8(ascii: "a"), count: 2046)  // 2047 UTF-16 units
        #expect(WidePath.encodeTerminated(exact, as: .utf16, length: 4096).shortened == false)
        #expect(WidePath.encodeTerminated(exact + [UInt8(ascii: "b")], as: .utf16, length: 4096).shortened)
        // A character outside the BMP takes two UTF-16 units and is never split.
        let emoji = Array("/😀".utf8) + Array(repeating: UInt8(ascii: "a"), count: 2045)
        let (bytes, shortened) = WidePath.encodeTerminated(emoji, as: .utf16, length: 4096)
        #expect(shortened)
        #expect(String(decoding: WidePath.decode(bytes, as: .utf16), as: UTF8.self).hasPrefix("\u{2026}a"))
    }

    @Test(
        "an ASCII path (written directly) and one with a non-ASCII end (through code points) lay out alike",
        arguments: [WideCharacterSize.utf16, .utf32]
    )
    func asciiRoute(size: WideCharacterSize) {
        let ascii = Array("/srv/watched/report 2026.txt".utf8)
        let (bytes, shortened) = WidePath.encodeTerminated(ascii, as: size, length: 4096)
        #expect(!shortened)
        var expected = [UInt8](repeating: 0, count: 4096)
        for (index, byte) in ascii.enumerated() { expected[index * size.byteCount] = byte }
        #expect(bytes == expected)
        let mixed = ascii + Array("\u{e9}".utf8)
        let general = WidePath.encodeTerminated(mixed, as: size, length: 4096).bytes
        #expect(
            Array(general.prefix(ascii.count * size.byteCount)) == Array(bytes.prefix(ascii.count * size.byteCount))
        )
        #expect(WidePath.decode(general, as: size) == mixed)
        #expect(WidePath.encodeTerminated(ascii[...], as: size, length: 4096).bytes == bytes, "the generic form")
    }
}

// SPDX-License-Identifier: MIT
import MiniFltLogging
import MiniFltWire
import Testing

@Suite("Logged values cannot forge lines or drive a terminal")
struct LogEscapingTests {
    static let textCases: [(String, String)] = [
        ("plain /srv/demo/test.txt", "plain /srv/demo/test.txt"),
        ("\\MiniFilterPort_Example", "\\MiniFilterPort_Example"),
        ("a\nb", "a\\nb"),
        ("tab\there\r", "tab\\there\\r"),
        ("\u{1B}[31mred", "\\x1B[31mred"),
        ("nul\u{0}", "nul\\x00"),
        ("del\u{7F}", "del\\x7F"),
        ("c1\u{85}", "c1\\u{85}"),
        ("bidi\u{202E}txt.exe", "bidi\\u{202E}txt.exe"),
        ("żółw ✓", "żółw ✓"),
    ]

    @Test("control characters are escaped, and ordinary text is left as it is", arguments: textCases)
    func text(input: String, expected: String) {
        #expect(LogEscaping.escape(input) == expected)
    }

    @Test("a forged line in a file name stays on its own line")
    func forgedLine() {
        let name = "x\n2026-12-04T19:49:21+0000 warning minifltd: event=access-denied [minifltd] forged"
        let escaped = LogEscaping.escape(name)
        #expect(!escaped.contains("\n"))
        #expect(escaped.hasPrefix("x\\n2026"))
    }

    static let byteCases: [([UInt8], String)] = [
        (Array("bad".utf8) + [0xFF] + Array(".txt".utf8), "bad\\xFF.txt"),
        (Array("bad".utf8) + [0xFE] + Array(".txt".utf8), "bad\\xFE.txt"),
        ([0xC3, 0xA9], "é"),
        ([0xC3], "\\xC3"),
        ([0xE2, 0x82], "\\xE2\\x82"),
        ([0xED, 0xA0, 0x80], "\\xED\\xA0\\x80"),  // an encoded surrogate is not UTF-8
        ([0xF0, 0x9F, 0x98, 0x80], "😀"),
        ([0xC0, 0xAF], "\\xC0\\xAF"),  // overlong
        ([0x0A, 0x41], "\\nA"),
    ]

    @Test("invalid UTF-8 bytes show as \\xHH, so different names never log alike", arguments: byteCases)
    func bytes(input: [UInt8], expected: String) {
        #expect(LogEscaping.escape(codePoints: WidePath.codePoints(input)) == expected)
    }
}

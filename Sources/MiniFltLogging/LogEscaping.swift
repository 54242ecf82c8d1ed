// SPDX-License-Identifier: MIT
/// Makes logged text safe to show: a value can never start a line of its own or drive a terminal.
///
/// File names and client text are chosen by whoever creates the file or connects. Unescaped, a name with a
/// newline forges a log line, and an ESC byte reaches the operator's terminal. Every value on every target
/// goes through ``escape(_:)``: C0 and C1 control characters and DEL become `\n`, `\t`, `\r` or `\xHH`
/// (`\u{85}` for C1), and the invisible formatting characters that reorder text (bidirectional overrides
/// and isolates, U+200B-U+200F, U+2028-U+202E, U+2066-U+2069, U+FEFF) become `\u{HHHH}`. A backslash
/// stays as it is: port names start with one, and no escape makes a new line.
public enum LogEscaping {
    /// `text` with every control or reordering character escaped.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 >= 0xC2 }) else { return text }
        return escape(codePoints: text.unicodeScalars.lazy.map(\.value))
    }

    /// Code points as text, escaped as by ``escape(_:)``. The lone surrogates U+DC80-U+DCFF, which stand for
    /// the bytes of ill-formed UTF-8 in a path (`WidePath.codePoints`), show as those bytes, `\xHH`, so that
    /// two different names never log alike; other values that are no scalar show as `\u{HHHH}`.
    public static func escape(codePoints: some Sequence<UInt32>) -> String {
        var text = String.UnicodeScalarView()
        for point in codePoints {
            if let scalar = Unicode.Scalar(point), !needsEscape(scalar) {
                text.append(scalar)
            } else if let scalar = Unicode.Scalar(point) {
                text.append(contentsOf: replacement(for: scalar).unicodeScalars)
            } else if (0xDC80...0xDCFF).contains(point) {
                text.append(contentsOf: ("\\x" + hex(UInt8(point - 0xDC00))).unicodeScalars)
            } else {
                text.append(contentsOf: ("\\u{" + String(point, radix: 16, uppercase: true) + "}").unicodeScalars)
            }
        }
        return String(text)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200B...0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    private static func replacement(for scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        default:
            if scalar.value < 0x80 { return "\\x" + hex(UInt8(scalar.value)) }
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }

    private static let digits = Array("0123456789ABCDEF")

    private static func hex(_ byte: UInt8) -> String {
        String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

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
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                escaped.append(scalar)
                continue
            }
            escaped.append(contentsOf: replacement(for: scalar).unicodeScalars)
        }
        return String(escaped)
    }

    /// `bytes` as text: valid UTF-8 as it is (escaped as by ``escape(_:)``), each byte of an invalid
    /// sequence as `\xHH`, so that two different names never log alike.
    public static func escape(bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var text = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            if let (scalar, length) = scalar(in: bytes, at: index) {
                text.append(scalar)
                index += length
            } else {
                text.append(contentsOf: ("\\x" + hex(bytes[index])).unicodeScalars)
                index += 1
            }
        }
        return escape(String(text))
    }

    /// The scalar of the well-formed UTF-8 sequence at `index` and its length, or nil (Unicode's table 3-7).
    private static func scalar(in bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: return nil
        }
        guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return nil }
        var value = UInt32(lead) & (0x7F >> length)
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard offset == 1 || (0x80...0xBF).contains(byte) else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, length) }
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

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

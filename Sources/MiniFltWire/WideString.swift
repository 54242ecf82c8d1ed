// SPDX-License-Identifier: MIT
/// Text in a client's wide-character layout: what `wchar_t` buffers such as the seed's USER_TO_FLT hold.
public enum WideString {
    /// Encodes `text` as code units of `size`, little-endian, with no terminator.
    public static func encode(_ text: String, as size: WideCharacterSize) -> [UInt8] {
        var bytes: [UInt8] = []
        switch size {
        case .utf16, .unsupported:
            for unit in text.utf16 { bytes.appendLittleEndian(unit) }
        case .utf32:
            for scalar in text.unicodeScalars { bytes.appendLittleEndian(scalar.value) }
        }
        return bytes
    }

    /// Encodes `text` NUL-terminated into a zero-filled buffer of exactly `length` bytes, truncating the text
    /// (never the terminator) when it does not fit, as `wcscpy_s` into a fixed struct would refuse to.
    public static func encodeTerminated(_ text: String, as size: WideCharacterSize, length: Int) -> [UInt8] {
        var bytes = encode(text, as: size)
        let unit = max(size.byteCount, 2)
        let room = max(0, (length / unit - 1) * unit)
        if bytes.count > room { bytes.removeLast(bytes.count - room) }
        bytes.append(contentsOf: repeatElement(0, count: length - bytes.count))
        return bytes
    }

    /// Decodes code units of `size` up to the first NUL or the end; invalid units become U+FFFD.
    public static func decode(_ bytes: some Collection<UInt8>, as size: WideCharacterSize) -> String {
        let buffer = Array(bytes)
        return buffer.withUnsafeBytes { raw in
            switch size {
            case .utf16, .unsupported:
                var units: [UInt16] = []
                var offset = 0
                while offset + 2 <= raw.count {
                    let unit: UInt16 = raw.readLittleEndian(at: offset)
                    if unit == 0 { break }
                    units.append(unit)
                    offset += 2
                }
                return String(decoding: units, as: UTF16.self)
            case .utf32:
                var scalars = String.UnicodeScalarView()
                var offset = 0
                while offset + 4 <= raw.count {
                    let value: UInt32 = raw.readLittleEndian(at: offset)
                    if value == 0 { break }
                    scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
                    offset += 4
                }
                return String(scalars)
            }
        }
    }
}

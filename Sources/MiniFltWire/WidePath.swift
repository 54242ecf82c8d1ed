// SPDX-License-Identifier: MIT
/// File paths in a client's wide-character layout, losslessly: what the example filter's FLT_TO_USER
/// messages carry (docs/protocol.md section 8).
///
/// A Linux path is bytes and need not be UTF-8. Each byte of an ill-formed sequence becomes the lone
/// surrogate U+DC00 + byte (U+DC80-U+DCFF, as Python's `surrogateescape` and WTF-16 do), so that two paths
/// never map to the same text and the client can get the exact bytes back with ``decode(_:as:)``. Windows
/// code that only prints or compares the text sees one odd character per bad byte.
public enum WidePath {
    /// The first unit of the marker that starts a path too long for its buffer: U+2026 HORIZONTAL ELLIPSIS.
    public static let shortenedMarker: UInt32 = 0x2026

    /// The code points of `path`: its UTF-8 scalars, and U+DC00 + byte for each byte of an ill-formed sequence.
    public static func codePoints(_ path: some Collection<UInt8>) -> [UInt32] {
        let bytes = Array(path)
        var points: [UInt32] = []
        points.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            var parser = Unicode.UTF8.ForwardParser()
            var iterator = bytes[index...].makeIterator()
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                points.append(Unicode.UTF8.decode(encoded).value)
                index += encoded.count
            case .error(let length):
                for byte in bytes[index..<index + length] { points.append(0xDC00 + UInt32(byte)) }
                index += length
            case .emptyInput:
                index = bytes.count
            }
        }
        return points
    }

    /// Encodes `path` NUL-terminated into a zero-filled buffer of exactly `length` bytes.
    ///
    /// A path that does not fit is never cut silently: the buffer then holds U+2026 followed by the path's
    /// end, from its first `/` that leaves room (so the file name and its nearest folders stay whole), and
    /// `shortened` is true. A client can tell, since no path of the file system starts with U+2026.
    public static func encodeTerminated(
        _ path: some Collection<UInt8>,
        as size: WideCharacterSize,
        length: Int
    ) -> (bytes: [UInt8], shortened: Bool) {
        encodeTerminated(Array(path), as: size, length: length)
    }

    /// ``encodeTerminated(_:as:length:)`` for an array, the one the example filter calls once per open: a
    /// concrete function, since a generic one is not specialized across modules. An ASCII path that fits is
    /// written straight into the buffer; the rest goes through the code points.
    public static func encodeTerminated(
        _ path: [UInt8],
        as size: WideCharacterSize,
        length: Int
    ) -> (bytes: [UInt8], shortened: Bool) {
        let units = max(size.byteCount, 2)
        if path.count <= max(0, length / units - 1), path.allSatisfy({ $0 < 0x80 }) {
            var bytes = [UInt8](repeating: 0, count: max(0, length))
            for (index, byte) in path.enumerated() { bytes[index * units] = byte }
            return (bytes, false)
        }
        let points = codePoints(path)
        let room = max(0, length / units - 1)
        func width(_ point: UInt32) -> Int { size == .utf32 ? 1 : point > 0xFFFF ? 2 : 1 }
        var kept = points[...]
        var shortened = false
        if points.reduce(0, { $0 + width($1) }) > room {
            shortened = true
            var used = width(shortenedMarker)
            var start = points.endIndex
            while start > points.startIndex, used + width(points[start - 1]) <= room {
                start -= 1
                used += width(points[start])
            }
            kept = points[start...]
            if let slash = kept.firstIndex(of: UInt32(UInt8(ascii: "/"))) { kept = points[slash...] }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for point in (shortened ? [shortenedMarker] : []) + kept { append(point, as: size, to: &bytes) }
        bytes.append(contentsOf: repeatElement(0, count: max(0, length - bytes.count)))
        return (bytes, shortened)
    }

    /// The path's bytes from wide text up to the first NUL: the inverse of ``encodeTerminated(_:as:length:)``
    /// for a path that was not shortened. U+DC80-U+DCFF give back their byte; any other unpaired surrogate,
    /// or a unit that is no code point, gives U+FFFD's bytes.
    public static func decode(_ text: some Collection<UInt8>, as size: WideCharacterSize) -> [UInt8] {
        let raw = Array(text)
        var points: [UInt32] = []
        var offset = 0
        let unit = max(size.byteCount, 2)
        while offset + unit <= raw.count {
            let value = raw.withUnsafeBytes { bytes -> UInt32 in
                unit == 4 ? bytes.readLittleEndian(at: offset) : UInt32(bytes.readLittleEndian(at: offset) as UInt16)
            }
            if value == 0 { break }
            points.append(value)
            offset += unit
        }
        var bytes: [UInt8] = []
        var index = 0
        while index < points.count {
            var point = points[index]
            index += 1
            if (0xD800...0xDBFF).contains(point), index < points.count, (0xDC00...0xDFFF).contains(points[index]) {
                point = 0x10000 + ((point - 0xD800) << 10) + (points[index] - 0xDC00)
                index += 1
            }
            if (0xDC80...0xDCFF).contains(point) {
                bytes.append(UInt8(point - 0xDC00))
            } else {
                bytes += String(Unicode.Scalar(point) ?? "\u{FFFD}").utf8
            }
        }
        return bytes
    }

    /// Appends one code point (a lone surrogate included) as code units of `size`, little-endian.
    private static func append(_ point: UInt32, as size: WideCharacterSize, to bytes: inout [UInt8]) {
        if size == .utf32 { return bytes.appendLittleEndian(point) }
        if point > 0xFFFF {
            let offset = point - 0x10000
            bytes.appendLittleEndian(UInt16(0xD800 + (offset >> 10)))
            bytes.appendLittleEndian(UInt16(0xDC00 + (offset & 0x3FF)))
        } else {
            bytes.appendLittleEndian(UInt16(point))
        }
    }
}

// SPDX-License-Identifier: MIT
/// How the client lays out `wchar_t` text (the CONNECT frame's wchar size).
///
/// Only code that reads or writes text uses it; message bytes are never converted.
public enum WideCharacterSize: UInt16, Sendable, Hashable {
    /// UTF-16LE, as on Windows: the default of every client that is not C on Linux.
    case utf16 = 2
    /// UTF-32LE: `wchar_t` of C and C++ on Linux.
    case utf32 = 4
    /// A value CONNECT carried that version 1 does not define; the server refuses such a connect.
    case unsupported = 0

    /// Bytes per code unit.
    public var byteCount: Int { Int(rawValue) }
}

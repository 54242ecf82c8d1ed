// SPDX-License-Identifier: MIT
/// A communication port's name, `\MiniFilterPort_Example`, and the abstract socket address it maps to.
///
/// Names are case-insensitive (the seed creates its port with `OBJ_CASE_INSENSITIVE`): the address is the name
/// lowercased character by character with Unicode's simple mapping (``PortName/unicodeVersion``) and UTF-8
/// encoded, so `\miniFILTERport_example` reaches `\MiniFilterPort_Example` at `@\minifilterport_example`
/// (docs/protocol.md section 1).
public struct PortName: Hashable, Sendable, CustomStringConvertible {
    /// The most bytes an abstract socket name holds (108 in `sun_path`, less the leading NUL).
    public static let maximumAddressLength = 107

    /// The name as given.
    public let name: String
    /// The abstract address's bytes, without the leading NUL.
    public let addressBytes: [UInt8]

    /// Checks a Windows object name.
    /// - Throws: ``PortNameError`` (`STATUS_OBJECT_NAME_INVALID` on the server, 0x8007007B on the client).
    public init(_ name: String) throws(PortNameError) {
        // The first scalar, not the first Character: `\` followed by a combining mark is one Character that is not
        // `\`, but it is a rooted name to libfltlib and on the wire.
        guard name.unicodeScalars.first == "\\" else { throw .notRooted(name) }
        guard !name.utf8.contains(0) else { throw .containsNUL(name) }
        let bytes = PortName.lowercasedUTF8(name)
        guard bytes.count <= PortName.maximumAddressLength else { throw .tooLong(name, bytes.count) }
        self.name = name
        self.addressBytes = bytes
    }

    /// The address as `ss -xl` prints it: `@\minifilterport_example`.
    public var address: String { "@" + String(decoding: addressBytes, as: UTF8.self) }

    public var description: String { name }

    /// The seed example's port.
    public static let example = "\\MiniFilterPort_Example"
}

/// Why a string is not a port name.
public enum PortNameError: Error, Hashable, Sendable, CustomStringConvertible {
    case notRooted(String)
    case containsNUL(String)
    case tooLong(String, Int)

    public var description: String {
        switch self {
        case .notRooted(let name):
            "port name '\(name)' must start with a backslash, as Windows object names do (for example \\MiniFilterPort_Example)"
        case .containsNUL(let name): "port name '\(name)' contains a NUL character"
        case .tooLong(let name, let count):
            "port name '\(name)' is \(count) bytes as an address; an abstract socket name holds at most \(PortName.maximumAddressLength)"
        }
    }
}

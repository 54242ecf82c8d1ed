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
    /// The abstract address's bytes, without the leading NUL; for a socket-file name, the path's bytes.
    public let addressBytes: [UInt8]
    /// The socket file's path when the name has the socket-file form (`/run/minifltd/port.sock`, or the
    /// same after `unix:`), for runtimes and containers that cannot reach an abstract address; nil for a
    /// Windows object name (docs/protocol.md section 1).
    public let socketPath: String?

    /// Checks a Windows object name.
    /// - Throws: ``PortNameError`` (`STATUS_OBJECT_NAME_INVALID` on the server, 0x8007007B on the client).
    public init(_ name: String) throws(PortNameError) {
        let path = name.hasPrefix("unix:") ? String(name.dropFirst(5)) : name
        if path.hasPrefix("/") {
            guard !path.utf8.contains(0) else { throw .containsNUL(name) }
            // sun_path holds 108 bytes with the terminating NUL.
            guard path.utf8.count <= PortName.maximumAddressLength else { throw .tooLong(name, path.utf8.count) }
            self.name = name
            self.addressBytes = Array(path.utf8)
            self.socketPath = path
            return
        }
        // The first scalar, not the first Character: `\` followed by a combining mark is one Character that is not
        // `\`, but it is a rooted name to libfltlib and on the wire.
        guard name.unicodeScalars.first == "\\" else { throw .notRooted(name) }
        guard !name.utf8.contains(0) else { throw .containsNUL(name) }
        let bytes = PortName.lowercasedUTF8(name)
        guard bytes.count <= PortName.maximumAddressLength else { throw .tooLong(name, bytes.count) }
        self.name = name
        self.addressBytes = bytes
        self.socketPath = nil
    }

    /// The address as `ss -xl` prints it: `@\minifilterport_example`, or the socket file's path.
    public var address: String { socketPath ?? "@" + String(decoding: addressBytes, as: UTF8.self) }

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
            "port name '\(name)' must start with a backslash, as Windows object names do (for example \\MiniFilterPort_Example), or be a socket file's absolute path (/run/minifltd/port.sock, or unix:/run/minifltd/port.sock)"
        case .containsNUL(let name): "port name '\(name)' contains a NUL character"
        case .tooLong(let name, let count):
            "port name '\(name)' is \(count) bytes as an address; an abstract socket name holds at most \(PortName.maximumAddressLength)"
        }
    }
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltWire
import Testing

@Suite("Port names")
struct PortNameTests {
    @Test("the address is the lowercased name, exact length")
    func address() throws {
        let name = try PortName("\\MiniFilterPort_Example")
        #expect(name.address == "@\\minifilterport_example")
        #expect(name.addressBytes == Array("\\minifilterport_example".utf8))
        #expect(try PortName("\\miniFILTERport_example").addressBytes == name.addressBytes)
    }

    @Test("the table's Unicode version is the one docs/protocol.md section 1 names")
    func unicodeVersion() throws {
        let protocolText = try RepositoryFile.text("docs/protocol.md")
        let sectionOne = try #require(protocolText.components(separatedBy: "\n## 2.").first)
        #expect(PortName.unicodeVersion == "17.0.0")
        #expect(sectionOne.contains("Unicode \(PortName.unicodeVersion)"))
    }

    @Test("a socket file's path, alone or after unix:, names a port by that path, not lowercased")
    func socketFile() throws {
        let plain = try PortName("/run/minifltd/Port.sock")
        #expect(plain.socketPath == "/run/minifltd/Port.sock")
        #expect(plain.address == "/run/minifltd/Port.sock")
        #expect(try PortName("unix:/run/minifltd/Port.sock").socketPath == plain.socketPath)
        #expect(try PortName("\\MiniFilterPort_Example").socketPath == nil)
        #expect(throws: PortNameError.notRooted("unix:relative")) { try PortName("unix:relative") }
        _ = try PortName("/" + String(repeating: "a", count: 106))
        #expect(throws: PortNameError.tooLong("/" + String(repeating: "a", count: 107), 108)) {
            try PortName("/" + String(repeating: "a", count: 107))
        }
    }

    @Test("names must start with a backslash")
    func notRooted() {
        #expect(throws: PortNameError.notRooted("MiniFilterPort")) { try PortName("MiniFilterPort") }
    }

    @Test("107 bytes fit, 108 do not")
    func length() throws {
        _ = try PortName("\\" + String(repeating: "a", count: 106))
        #expect(throws: PortNameError.tooLong("\\" + String(repeating: "a", count: 107), 108)) {
            try PortName("\\" + String(repeating: "a", count: 107))
        }
    }
}

@Suite("Wide strings")
struct WideStringTests {
    @Test("Hello, User is 22 bytes in UTF-16 and 44 in UTF-32")
    func hello() {
        #expect(WideString.encode("Hello, User", as: .utf16).count == 22)
        #expect(WideString.encode("Hello, User", as: .utf32).count == 44)
    }

    @Test("NUL-terminated buffers decode up to the terminator", arguments: [WideCharacterSize.utf16, .utf32])
    func terminated(size: WideCharacterSize) {
        let buffer = WideString.encodeTerminated("Hello, MiniFilter ✓", as: size, length: 4096)
        #expect(buffer.count == 4096)
        #expect(WideString.decode(buffer, as: size) == "Hello, MiniFilter ✓")
    }

    @Test("text too long for the buffer is cut, keeping the terminator")
    func truncation() {
        let buffer = WideString.encodeTerminated("abcdef", as: .utf16, length: 8)
        #expect(buffer == [97, 0, 98, 0, 99, 0, 0, 0])
    }
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltWire
import Testing

/// libfltlib and the Swift libraries must turn every port name into the same address, or a C client gets
/// 0x80070002 from a port that minifltctl reaches. Both fold with one table (Sources/CMiniFltLowercase); this
/// checks the two whole paths, name to address, over every code point.
@Suite("Port names: libfltlib and the Swift libraries agree on every code point")
struct PortNameAgreementTests {
    @Test("every scalar but NUL maps to the same address in libfltlib (port_name_foldings) and in PortName")
    func everyCodePoint() throws {
        let result = try runProgram(try FltLibPrograms.path("port_name_foldings"), [])
        try #require(result.status == 0, "\(result.standardError)")
        var libfltlib: [UInt32: String] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let scalar = try #require(fields.count == 2 ? UInt32(fields[0], radix: 16) : nil, "bad line \(line)")
            libfltlib[scalar] = String(fields[1])
        }
        // A program that folded nothing, or printed nothing, must not pass as agreement.
        #expect(libfltlib.count > 1000, "port_name_foldings printed \(libfltlib.count) foldings")

        var differences: [String] = []
        var swiftFoldings = 0
        for value in UInt32(1)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let character = String(Character(scalar))
            let swift: String?
            if let name = try? PortName("\\" + character) {
                let folded = Array(name.addressBytes.dropFirst())
                swift = folded == Array(character.utf8) ? nil : Self.hex(folded)
            } else {
                swift = "invalid"
            }
            if swift != nil { swiftFoldings += 1 }
            if swift != libfltlib[value] {
                let code = "U+" + String(value, radix: 16, uppercase: true)
                differences.append("\(code): Swift \(swift ?? "itself"), libfltlib \(libfltlib[value] ?? "itself")")
            }
        }
        #expect(swiftFoldings == libfltlib.count)
        #expect(differences.count == 0, "\(differences.prefix(20).joined(separator: "; "))")
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

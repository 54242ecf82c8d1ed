// SPDX-License-Identifier: MIT
import Foundation
import MiniFltWire
import Testing

/// The vectors libfltlib is checked against too (fltlib/tests/wire_vectors.c): the Swift libraries and the C
/// library must encode, decode, map statuses and map port names the same way.
@Suite("Shared wire vectors (Tests/WireVectors)")
struct SharedVectorTests {
    /// One line of wire-vectors.txt: its kind, its fields, and where it is, for failure messages.
    struct Vector: CustomStringConvertible, Sendable {
        var line: Int
        var kind: String
        var fields: [String]
        var description: String { "wire-vectors.txt:\(line) \(kind)" }
    }

    static let vectors: [Vector] = {
        guard let text = try? RepositoryFile.text("Tests/WireVectors/wire-vectors.txt") else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            let parts = line.split(separator: " ").map(String.init)
            return Vector(line: index + 1, kind: parts[0], fields: Array(parts.dropFirst()))
        }
    }()

    static func vectors(_ kind: String) -> [Vector] { vectors.filter { $0.kind == kind } }

    @Test("the file has every kind of vector")
    func fileIsComplete() {
        for kind in ["status", "advice", "name", "connect", "send", "reply", "server", "path"] {
            #expect(!SharedVectorTests.vectors(kind).isEmpty, "no \(kind) vectors")
        }
    }

    @Test("statuses map to the same HRESULTs", arguments: vectors("status"))
    func status(_ vector: Vector) throws {
        let status = try #require(UInt32(vector.fields[0], radix: 16))
        let hresult = try #require(UInt32(vector.fields[1], radix: 16))
        #expect(NTStatus(rawValue: status).hresult == HResult(rawValue: hresult))
    }

    @Test("statuses come with the same advice", arguments: vectors("advice"))
    func advice(_ vector: Vector) throws {
        let status = try #require(UInt32(vector.fields[0], radix: 16))
        #expect(NTStatus(rawValue: status).clientAdvice == vector.fields.dropFirst().joined(separator: " "))
    }

    @Test("every status with advice has its advice vector, so that libfltlib is checked for it too")
    func adviceIsComplete() throws {
        let covered = Set(SharedVectorTests.vectors("advice").compactMap { UInt32($0.fields[0], radix: 16) })
        for vector in SharedVectorTests.vectors("status") {
            let status = try #require(UInt32(vector.fields[0], radix: 16))
            if NTStatus(rawValue: status).clientAdvice != nil {
                #expect(covered.contains(status), "no advice vector for \(vector.fields[0])")
            }
        }
    }

    @Test("port names map to the same addresses", arguments: vectors("name"))
    func name(_ vector: Vector) throws {
        if vector.fields[1] == "invalid" {
            #expect(throws: PortNameError.self) { try PortName(vector.fields[0]) }
        } else {
            #expect(try PortName(vector.fields[0]).addressBytes == bytes(vector.fields[1]))
        }
    }

    @Test("file paths travel losslessly as wide text, and decode to the same bytes", arguments: vectors("path"))
    func path(_ vector: Vector) throws {
        let path = try bytes(vector.fields[0])
        for (size, text) in [
            (WideCharacterSize.utf16, try bytes(vector.fields[1])), (.utf32, try bytes(vector.fields[2])),
        ] {
            let (encoded, shortened) = WidePath.encodeTerminated(path, as: size, length: 4096)
            #expect(!shortened)
            #expect(Array(encoded.prefix(text.count)) == text, "\(size)")
            #expect(encoded.dropFirst(text.count).allSatisfy { $0 == 0 })
            #expect(WidePath.decode(text, as: size) == path, "\(size)")
        }
    }

    @Test("CONNECT encodes the same", arguments: vectors("connect"))
    func connect(_ vector: Vector) throws {
        let wcharSize = try #require(UInt16(vector.fields[0]).flatMap(WideCharacterSize.init(rawValue:)))
        let options = try #require(UInt32(vector.fields[1]))
        let request = ConnectRequest(wcharSize: wcharSize, options: options, context: try bytes(vector.fields[2]))
        #expect(Frame.connect(request).encoded() == (try bytes(vector.fields[3])))
    }

    @Test("SEND encodes the same", arguments: vectors("send"))
    func send(_ vector: Vector) throws {
        let id = try #require(UInt64(vector.fields[0]))
        let capacity = try #require(UInt32(vector.fields[1]))
        let frame = Frame.send(id: id, outputCapacity: capacity, input: try bytes(vector.fields[2]))
        #expect(frame.encoded() == (try bytes(vector.fields[3])))
    }

    @Test("REPLY encodes the same", arguments: vectors("reply"))
    func reply(_ vector: Vector) throws {
        let id = try #require(UInt64(vector.fields[0]))
        let status = NTStatus(rawValue: try #require(UInt32(vector.fields[1], radix: 16)))
        let frame = Frame.reply(id: id, status: status, body: try bytes(vector.fields[2]))
        #expect(frame.encoded() == (try bytes(vector.fields[3])))
    }

    @Test("server frames decode to the same fields, or are refused alike", arguments: vectors("server"))
    func server(_ vector: Vector) throws {
        var decoder = FrameDecoder(role: .client, maximumBodyLength: try #require(Int(vector.fields[0])))
        decoder.append(try bytes(vector.fields[1]))
        guard vector.fields[2] == "accept" else {
            #expect(throws: FrameViolation.self) { _ = try decoder.next() }
            return
        }
        let frame = try #require(try decoder.next())
        #expect(frame.type.rawValue == (try #require(UInt16(vector.fields[3]))))
        let head = try #require(UInt32(vector.fields[5], radix: 16))
        let id = try #require(UInt64(vector.fields[4]))
        let payload = try bytes(vector.fields[6])
        switch frame {
        case .connectResult(let status), .disconnect(let status):
            #expect(id == 0 && status.rawValue == head && payload.isEmpty)
        case .sendResult(let frameID, let status, let output):
            #expect(frameID == id && status.rawValue == head && output == payload)
        case .message(let frameID, let capacity, let body):
            #expect(frameID == id && capacity == head && body == payload)
        case .replyResult(let frameID, let status):
            #expect(frameID == id && status.rawValue == head && payload.isEmpty)
        case .connect, .send, .reply:
            Issue.record("a client decoder returned a client-to-server frame")
        }
    }

    /// Hex without separators; "-" is no bytes.
    func bytes(_ hex: String) throws -> [UInt8] {
        if hex == "-" { return [] }
        let digits = Array(hex.utf8)
        try #require(digits.count % 2 == 0, "odd hex length")
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            try #require(UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16))
        }
    }
}

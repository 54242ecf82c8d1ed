// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltWire
import Synchronization
import Testing

@Suite("The seed's hello exchange against the real daemon")
struct HelloTests {
    @Test("Hello, User in the client's wchar size", arguments: [(WideCharacterSize.utf16, 22), (.utf32, 44)])
    func hello(size: WideCharacterSize, expectedLength: Int) throws {
        let daemon = try Daemon()
        let port = try FilterPort.connect(to: daemon.port, options: ConnectOptions(wcharSize: size))
        let reply = try port.send(userToFilter("Hello, MiniFilter", size), outputCapacity: 4096)
        #expect(reply.count == expectedLength)
        #expect(WideString.decode(reply, as: size) == "Hello, User")
        #expect(daemon.waitForLog("Data: Hello, MiniFilter"))
        #expect(daemon.waitForLog("User-mode application(\(getpid())) send data to this filter"))
        port.close()
        #expect(daemon.waitForLog("User-mode application(\(getpid())) disconnect with this filter"))
        #expect(daemon.terminate() == 0)
    }

    @Test("any other capacity gets no bytes back", arguments: [0, 100, 4095, 4097])
    func noReply(capacity: Int) throws {
        let daemon = try Daemon()
        let port = try FilterPort.connect(to: daemon.port)
        #expect(try port.send(userToFilter("Hello"), outputCapacity: capacity).isEmpty)
        #expect(try port.send([], outputCapacity: 4096).count == 22)
    }

    @Test("minifltctl prints the reply, 'No reply', and the seed's error lines")
    func commandLine() throws {
        let daemon = try Daemon()
        let ctl = Binaries.minifltctl.path
        let hello = try runProgram(ctl, ["send", "--port", daemon.port, "Hello, MiniFilter"])
        #expect(hello.status == 0)
        #expect(hello.standardOutput == "Hello, User\n")
        let wide = try runProgram(ctl, ["send", "--port", daemon.port, "--wchar", "4", "Hello"])
        #expect(wide.standardOutput == "Hello, User\n")
        let none = try runProgram(ctl, ["send", "--port", daemon.port, "--capacity", "16", "Hello"])
        #expect(none.standardOutput == "No reply\n")
        let repeated = try runProgram(ctl, ["send", "--port", daemon.port, "--repeat", "200", "Hello"])
        #expect(repeated.standardOutput.contains("count 200  p50 "))
        #expect(repeated.standardOutput.contains(" rt/s"))
        let missing = try runProgram(ctl, ["send", "--port", daemon.port + "_missing", "Hello"])
        #expect(missing.status == 1)
        #expect(missing.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x80070002)\n"))
    }

    @Test("a mixed-case name reaches the port")
    func caseInsensitiveName() throws {
        let daemon = try Daemon()
        let port = try FilterPort.connect(to: daemon.port.uppercased())
        #expect(WideString.decode(try port.send(userToFilter("x"), outputCapacity: 4096), as: .utf16) == "Hello, User")
    }

    @Test("nothing listening is 0x80070002; a bad name is 0x8007007B")
    func missingPort() {
        #expect(throws: FilterPortError.self) { try FilterPort.connect(to: Binaries.uniquePortName("missing")) }
        do {
            _ = try FilterPort.connect(to: Binaries.uniquePortName("missing"))
        } catch {
            #expect(error.hresult == .fileNotFound)
        }
        do {
            _ = try FilterPort.connect(to: "NoBackslash")
        } catch {
            #expect(error.hresult == .invalidName)
        }
    }

    @Test("32 sends outstanding on one connection from 32 threads all get their reply")
    func sharedConnection() async throws {
        let daemon = try Daemon()
        let port = try FilterPort.connect(to: daemon.port)
        let replies = StateLock([String]())
        DispatchQueue.concurrentPerform(iterations: 32) { index in
            for _ in 0..<20 {
                let reply = (try? port.send(userToFilter("thread \(index)"), outputCapacity: 4096)) ?? []
                replies.withLock { $0.append(WideString.decode(reply, as: .utf16)) }
            }
        }
        let all = replies.withLock { $0 }
        #expect(all.count == 640)
        #expect(all.allSatisfy { $0 == "Hello, User" })
    }

    @Test("32 pipelined SENDs in one write are answered by id")
    func pipelined() throws {
        let daemon = try Daemon()
        let client = try RawClient.connected(port: daemon.port)
        var batch: [UInt8] = []
        for id in 1...32 {
            Frame.send(id: UInt64(id), outputCapacity: id % 2 == 0 ? 4096 : 0, input: userToFilter("\(id)")).encode(
                into: &batch
            )
        }
        client.write(batch)
        var seen: [UInt64: Int] = [:]
        for _ in 1...32 {
            guard case .sendResult(let id, let status, let output)? = try client.readFrame() else {
                Issue.record("expected SEND_RESULT")
                return
            }
            #expect(status == .success)
            seen[id] = output.count
        }
        #expect(seen.count == 32)
        #expect(seen.allSatisfy { id, length in length == (id % 2 == 0 ? 22 : 0) })
    }
}

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

@Suite("The permission descriptor, with real other uids")
struct PermissionTests {
    @Test("uid 65534 is denied by the default descriptor, and the daemon logs who")
    func nobodyDenied() throws {
        let daemon = try Daemon()
        let result = try runAsUser(65534, ["send", "--port", daemon.port, "Hello"])
        #expect(result.status == 1)
        #expect(
            result.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x80070005)"),
            "\(result.standardError)"
        )
        #expect(daemon.waitForLog("uid 65534 gid 65534 by the permission descriptor"))
        #expect(daemon.output.contains("event=access-denied"))
    }

    @Test("a uid admitted by --allow-user gets its hello; others still do not")
    func allowUser() throws {
        let daemon = try Daemon(arguments: ["--allow-user", "12345"])
        let admitted = try runAsUser(12345, ["send", "--port", daemon.port, "Hello"])
        #expect(admitted.status == 0, "\(admitted.standardError)")
        #expect(admitted.standardOutput == "Hello, User\n")
        let other = try runAsUser(12346, ["send", "--port", daemon.port, "Hello"])
        #expect(other.standardError.contains("0x80070005"))
    }

    @Test("an SDDL ACE for the uid admits it; a deny ACE before it wins")
    func sddl() throws {
        let allow = try Daemon(arguments: ["--sddl", "D:P(A;;0x1F0001;;;S-1-22-1-23456)"])
        #expect(try runAsUser(23456, ["send", "--port", allow.port, "x"]).standardOutput == "Hello, User\n")
        expectFailure(.accessDenied, "root was admitted by a descriptor that names only uid 23456") {
            try FilterPort.connect(to: allow.port)
        }
        let deny = try Daemon(arguments: ["--sddl", "D:P(D;;GA;;;S-1-22-1-23456)(A;;GA;;;WD)"])
        #expect(try runAsUser(23456, ["send", "--port", deny.port, "x"]).standardError.contains("0x80070005"))
        #expect(try runAsUser(23457, ["send", "--port", deny.port, "x"]).standardOutput == "Hello, User\n")
    }

    @Test("a descriptor that does not parse stops the daemon with the position of the error")
    func badDescriptor() throws {
        let result = try runProgram(
            Binaries.minifltd.path,
            ["--port", Binaries.uniquePortName("bad"), "--sddl", "D:P(A;;0x1;;;XY)"]
        )
        #expect(result.status == 2)
        #expect(result.standardError.contains("SDDL error at character 14"), "\(result.standardError)")
        let unknownUser = try runProgram(Binaries.minifltd.path, ["--allow-user", "no-such-user-here"])
        #expect(unknownUser.status == 2)
        #expect(unknownUser.standardError.contains("no user named 'no-such-user-here'"))
    }

    @Test("a client refuses a server that is neither root nor the expected uid (0x80070274)")
    func impostor() throws {
        let impostor = try Impostor()
        defer { impostor.stop() }
        let port = impostor.port
        #expect(impostor.waitUntilListening())
        do {
            _ = try FilterPort.connect(to: port)
            Issue.record("connected to an impostor")
        } catch {
            #expect(error.hresult == .serverIdentityMismatch)
            #expect(error.message.contains("runs as uid 65534"))
        }
        var trusting = ConnectOptions()
        trusting.expectedServerUID = 65534
        let port65534 = try FilterPort.connect(to: port, options: trusting)
        #expect(try port65534.send(userToFilter("x"), outputCapacity: 4096).count == 22)
    }
}

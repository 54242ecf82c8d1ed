// SPDX-License-Identifier: MIT
import MiniFltClient
import MiniFltPermissions
import MiniFltServer
import MiniFltWire
import Testing

/// ServerPort.update: the admission settings change for new connections; connected clients stay.
@Suite("ServerPort.update")
struct PortUpdateTests {
    @Test("a lower max-connections refuses the next connect and ends no client; a higher one admits again")
    func connectionLimit() throws {
        let test = try TestPort(maxConnections: 2)
        let first = try FilterPort.connect(to: test.name)
        let second = try FilterPort.connect(to: test.name)
        test.port.update(ServerPortUpdate(maxConnections: 1))
        #expect(test.port.configuration.maxConnections == 1)
        #expect(throws: FilterPortError.self) { try FilterPort.connect(to: test.name) }
        #expect(try first.send(Array("still here".utf8), outputCapacity: 16).count >= 0)
        #expect(test.port.clients.count == 2)
        test.port.update(ServerPortUpdate(maxConnections: 3))
        let third = try FilterPort.connect(to: test.name)
        for client in [first, second, third] { client.close() }
    }

    @Test("a new descriptor denies the next connect with 0x80070005 and leaves the connected client alone")
    func permissions() throws {
        let test = try TestPort()
        let connected = try FilterPort.connect(to: test.name)
        let onlyUid1000 = try PermissionDescriptor(sddl: "D:P(A;;0x1F0001;;;S-1-22-1-1000)")
        test.port.update(ServerPortUpdate(permissions: onlyUid1000))
        #expect(test.port.configuration.permissions == onlyUid1000)
        do {
            _ = try FilterPort.connect(to: test.name)
            Issue.record("root was admitted by a descriptor that admits only uid 1000")
        } catch {
            #expect(error.hresult == .accessDenied)
        }
        #expect(try connected.send(Array("still here".utf8), outputCapacity: 16).count >= 0)
        connected.close()
    }

    @Test("ServerPortUpdate(from:to:) holds only what changed among the live settings")
    func difference() throws {
        let old = ServerPortConfiguration(name: try PortName("\\Same"))
        var new = old
        new.maxConnections = 4
        new.frameTimeout = .seconds(9)
        let update = ServerPortUpdate(from: old, to: new)
        #expect(update == ServerPortUpdate(maxConnections: 4))
        #expect(ServerPortUpdate(from: old, to: old).isEmpty)
    }
}

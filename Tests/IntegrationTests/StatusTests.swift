// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

/// `minifltctl status` through the daemon's management port, and `minifltctl ports`.
@Suite("minifltctl status and ports")
struct StatusTests {
    /// `minifltctl status --port <port> <extra>`, retried while the management port is not yet listening
    /// (it starts just after the filter port the test waited for).
    func status(_ daemon: Daemon, _ extra: [String] = []) throws -> ProcessResult {
        var result = try runProgram(Binaries.minifltctl.path, ["status", "--port", daemon.port] + extra)
        for _ in 0..<50 where result.status != 0 {
            usleep(100_000)
            result = try runProgram(Binaries.minifltctl.path, ["status", "--port", daemon.port] + extra)
        }
        return result
    }

    @Test("status shows a connected client with its pid, uid, since and messages; --json parses")
    func connectedClient() throws {
        let daemon = try Daemon()
        let client = try FilterPort.connect(to: daemon.port)
        defer { client.close() }
        for _ in 0..<3 { _ = try client.send(userToFilter("Hello"), outputCapacity: 4096) }
        let result = try status(daemon, ["--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let clients = object?["clients"] as? [[String: Any]] ?? []
        #expect(clients.count == 1, "\(result.standardOutput)")
        let entry = clients.first ?? [:]
        #expect(entry["pid"] as? Int == Int(getpid()))
        #expect(entry["uid"] as? Int == Int(getuid()))
        #expect(entry["messages"] as? Int == 3)
        #expect((entry["since"] as? String)?.hasSuffix("Z") == true)
        let ports = object?["ports"] as? [[String: Any]] ?? []
        #expect(ports.first?["name"] as? String == daemon.port)
        #expect(ports.last?["role"] as? String == "control")
        let counters = object?["counters"] as? [String: Any]
        #expect(counters?["messages"] as? Int == 3)
        let text = try status(daemon)
        #expect(text.standardOutput.contains("pid: \(getpid())"), "\(text.standardOutput)")
        #expect(text.standardOutput.contains("messages: 3"), "\(text.standardOutput)")
        #expect(daemon.terminate() == 0)
    }

    @Test("status as uid 65534: 0x80070005 and the advice to run it as root")
    func deniedForOtherUsers() throws {
        let daemon = try Daemon()
        #expect(try status(daemon).status == 0)
        let result = try runAsUser(65534, ["status", "--port", daemon.port])
        #expect(result.status == 1)
        #expect(result.standardError.contains("HRESULT = 0x80070005"), "\(result.standardError)")
        #expect(result.standardError.contains("run minifltctl status as root"), "\(result.standardError)")
        #expect(daemon.terminate() == 0)
    }

    @Test("ports lists the daemon's filter and management ports; --probe marks them as minifltd")
    func portsListed() throws {
        let daemon = try Daemon()
        #expect(try status(daemon).status == 0)
        let address = try PortName(daemon.port).address
        let listed = try runProgram(Binaries.minifltctl.path, ["ports", "--probe"])
        #expect(listed.status == 0, "\(listed.standardError)")
        #expect(
            listed.standardOutput.contains("\(address)\tport\tminifltd (admits this user)"),
            "\(listed.standardOutput)"
        )
        #expect(
            listed.standardOutput.contains("\(address).control\tcontrol\tminifltd (admits this user)"),
            "\(listed.standardOutput)"
        )
        #expect(daemon.terminate() == 0)
    }
}

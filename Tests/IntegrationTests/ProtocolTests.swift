// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

@Suite("Protocol violations and the connection life cycle, against the real daemon")
struct ProtocolTests {
    static func header(length: UInt32, type: UInt16, flags: UInt16 = 0, id: UInt64 = 1) -> [UInt8] {
        var bytes: [UInt8] = []
        FrameHeader(bodyLength: length, rawType: type, flags: flags, messageID: id).encode(into: &bytes)
        return bytes
    }

    static let afterConnect: [(String, [UInt8])] = [
        ("unknown type", header(length: 4, type: 42) + [0, 0, 0, 0]),
        ("non-zero flags", header(length: 4, type: 3, flags: 0x8000) + [0, 0, 0, 0]),
        ("SEND body shorter than its capacity field", header(length: 2, type: 3) + [0, 0]),
        ("body over the size limit", header(length: (1 << 20) + 1, type: 3)),
        ("4 GiB length", header(length: UInt32.max, type: 3)),
        ("a second CONNECT", Frame.connect(ConnectRequest(wcharSize: .utf16)).encoded()),
        ("a server-to-client type", header(length: 4, type: 2) + [0, 0, 0, 0]),
        (
            "a SEND id already outstanding",
            Frame.send(id: 9, outputCapacity: 0, input: []).encoded()
                + Frame.send(id: 9, outputCapacity: 0, input: []).encoded()
        ),
    ]

    @Test("each violation is answered with DISCONNECT and a close; other clients keep going", arguments: afterConnect)
    func violation(name: String, bytes: [UInt8]) throws {
        let daemon = try Daemon(arguments: ["--max-connections", "2"])
        let bystander = try FilterPort.connect(to: daemon.port)
        let offender = try RawClient.connected(port: daemon.port)
        offender.write(bytes)
        var frame = try offender.readFrame()
        if case .sendResult? = frame { frame = try offender.readFrame() }  // the first of two duplicate ids
        #expect(frame == .disconnect(.invalidParameter), "\(name)")
        #expect(try offender.readFrame() == nil, "\(name): the connection stayed open")
        #expect(daemon.waitForLog("protocol violation"))
        #expect(try bystander.send(userToFilter("still served"), outputCapacity: 4096).count == 22)
    }

    @Test("a frame before CONNECT is a violation")
    func frameBeforeConnect() throws {
        let daemon = try Daemon()
        let client = try RawClient(port: daemon.port)
        client.write(Frame.send(id: 1, outputCapacity: 0, input: []).encoded())
        #expect(try client.readFrame() == .disconnect(.invalidParameter))
        #expect(try client.readFrame() == nil)
    }

    @Test("a CONNECT with an unknown version or wchar size is refused with 0xC000000D")
    func badConnect() throws {
        let daemon = try Daemon()
        for request in [ConnectRequest(version: 2, wcharSize: .utf16), ConnectRequest(wcharSize: .unsupported)] {
            let client = try RawClient(port: daemon.port)
            client.write(Frame.connect(request).encoded())
            #expect(try client.readFrame() == .connectResult(.invalidParameter))
            #expect(try client.readFrame() == nil)
        }
        _ = try FilterPort.connect(to: daemon.port)
    }

    @Test("a client that sends nothing is disconnected at the handshake timeout and its slot freed")
    func handshakeTimeout() throws {
        let daemon = try Daemon(arguments: ["--handshake-timeout", "0.3"])
        let silent = try RawClient(port: daemon.port)
        let start = ContinuousClock.now
        #expect(try silent.readFrame() == .disconnect(.ioTimeout))
        #expect(try silent.readFrame() == nil)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(250) && waited < .seconds(3), "\(waited)")
        #expect(daemon.waitForLog("event=handshake-timeout"))
        _ = try FilterPort.connect(to: daemon.port)
    }

    @Test("a client killed with SIGKILL mid-frame: one disconnect routine, and the slot comes back")
    func killedMidFrame() throws {
        let daemon = try Daemon()
        let script = """
            import socket, struct, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(b"\\0" + sys.argv[1].lower().encode())
            s.sendall(struct.pack("<IHHQHHI", 8, 1, 0, 0, 1, 2, 0))
            assert s.recv(20)[:6] == struct.pack("<IH", 4, 2)
            s.sendall(struct.pack("<IHHQ", 4100, 3, 0, 1)[:10])
            print("ready", flush=True)
            time.sleep(60)
            """
        let child = Process()
        // The interpreter itself, not a wrapper such as a pyenv shim: the pid killed must be the one connected.
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        child.arguments = ["-c", script, daemon.port]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let ready = output.fileHandleForReading.availableData
        #expect(String(decoding: ready, as: UTF8.self).contains("ready"))
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let pid = child.processIdentifier
        #expect(daemon.waitForLog("User-mode application(\(pid)) disconnect with this filter"), "\(daemon.tail)")
        #expect(eventually { (try? FilterPort.connect(to: daemon.port)) != nil }, "\(daemon.tail)")
        #expect(daemon.count("User-mode application(\(pid)) disconnect with this filter") == 1)
    }

    @Test("SIGTERM runs the disconnect routines and exits 0; the client then gets 0x80070006")
    func sigterm() throws {
        let daemon = try Daemon()
        let port = try FilterPort.connect(to: daemon.port)
        _ = try port.send([], outputCapacity: 0)
        #expect(daemon.terminate() == 0)
        #expect(daemon.waitForLog("User-mode application(\(getpid())) disconnect with this filter"))
        #expect(daemon.waitForLog("event=stopped"))
        expectFailure(.invalidHandle, "a send after the port stopped succeeded") {
            try port.send([], outputCapacity: 0)
        }
    }

    @Test("a name already bound stops a second daemon with STATUS_OBJECT_NAME_COLLISION")
    func nameCollision() throws {
        let daemon = try Daemon()
        let second = try runProgram(Binaries.minifltd.path, ["--port", daemon.port])
        #expect(second.status == 1)
        #expect(second.standardError.contains("already listens on"))
        #expect(second.standardError.contains("0xc0000035"))
    }
}

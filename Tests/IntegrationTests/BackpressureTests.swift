// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

@Suite("Clients that read late, never read, or send at the size limit")
struct BackpressureTests {
    @Test("results queue while the client does not read, and all arrive once it does")
    func lateReader() throws {
        let daemon = try Daemon(arguments: ["--max-outstanding-sends", "100000", "--log-level", "info"])
        let client = try RawClient.connected(port: daemon.port)
        let count = 20000
        var batch: [UInt8] = []
        for id in 1...count {
            Frame.send(id: UInt64(id), outputCapacity: 4096, input: []).encode(into: &batch)
        }
        client.write(batch)  // 400 KB of requests: 840 KB of results, more than the socket buffers hold
        Thread.sleep(forTimeInterval: 0.3)
        var seen = Set<UInt64>()
        for _ in 1...count {
            guard case .sendResult(let id, .success, let output)? = try client.readFrame(), output.count == 22 else {
                Issue.record("expected a SEND_RESULT with Hello, User")
                return
            }
            seen.insert(id)
        }
        #expect(seen.count == count)
        #expect(!daemon.output.contains("event=limit-hit"))
    }

    @Test("a client that never reads is disconnected at the output limit; others are served meanwhile")
    func neverReads() throws {
        let daemon = try Daemon(arguments: [
            "--max-connections", "2", "--max-queued-output-bytes", "65536", "--max-outstanding-sends", "100000",
        ])
        let bystander = try FilterPort.connect(to: daemon.port)
        let hog = try RawClient.connected(port: daemon.port)
        var batch: [UInt8] = []
        for id in 1...40000 {
            Frame.send(id: UInt64(id), outputCapacity: 4096, input: []).encode(into: &batch)
        }
        hog.write(batch)
        #expect(daemon.waitForLog("the client does not read"))
        #expect(try bystander.send(userToFilter("still served"), outputCapacity: 4096).count == 22)
        // The hog's connection is gone: reading drains what was sent, then the stream ends.
        var frames = 0
        while let frame = try hog.readFrame() {
            if case .disconnect = frame { break }
            frames += 1
        }
        #expect(frames < 40000)
        #expect(eventually { (try? FilterPort.connect(to: daemon.port)) != nil }, "the hog's slot did not come back")
    }

    @Test("a message at the size limit is served; over the client's limit fails locally and the connection stays")
    func clientSideLimit() throws {
        let daemon = try Daemon(arguments: ["--max-message-size", "65536"])
        var options = ConnectOptions()
        options.maxMessageSize = 65536
        let port = try FilterPort.connect(to: daemon.port, options: options)
        #expect(try port.send(Array(repeating: 1, count: 65536 - 4), outputCapacity: 4096).count == 22)
        expectFailure(.invalidArgument, "the client sent a message over its limit") {
            try port.send(Array(repeating: 1, count: 65536 - 3), outputCapacity: 0)
        }
        #expect(try port.send([], outputCapacity: 4096).count == 22)
    }

    @Test(
        "a client that does not know the server's smaller limit loses its connection, as docs/protocol.md section 6 says"
    )
    func serverSideLimit() throws {
        let daemon = try Daemon(arguments: ["--max-message-size", "65536"])
        let port = try FilterPort.connect(to: daemon.port)
        expectFailure(.invalidArgument, "the server took a body over its limit") {
            try port.send(Array(repeating: 1, count: 65536 - 3), outputCapacity: 0)
        }
        expectFailure(.invalidHandle, "the connection survived a protocol violation") {
            try port.send([], outputCapacity: 0)
        }
        #expect(daemon.waitForLog("is over the limit of 65536 bytes"))
    }
}

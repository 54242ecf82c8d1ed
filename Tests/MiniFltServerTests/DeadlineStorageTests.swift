// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Testing

/// Issue 17, point 8: deadlines must not outlive their handshakes and frames, whatever the timeouts.
@Suite("Deadline storage stays bounded by the open connections")
struct DeadlineStorageTests {
    @Test("connect, CONNECT and close churn with hour-long timeouts leaves no deadline entries behind")
    func churnWithLongTimeouts() throws {
        let test = try TestPort(maxConnections: 1024, handshakeTimeout: .seconds(3600), frameTimeout: .seconds(3600))
        let address = try PortName(test.name).addressBytes
        var partialFrame = Frame.connect(ConnectRequest(wcharSize: .utf16)).encoded()
        FrameHeader(bodyLength: 4100, type: .send, messageID: 1).encode(into: &partialFrame)
        partialFrame += [0, 16, 0, 0]
        for cycle in 0..<3000 {
            if cycle % 4 == 0 {
                // A client that leaves mid-frame: its frame deadline must go with it.
                let fd = try AbstractSocket.connect(to: address)
                try AbstractSocket.sendAll(fd, partialFrame)
                close(fd)
            } else {
                try FilterPort.connect(to: test.name).close()
            }
        }
        #expect(eventually { test.port.statistics.snapshot.connectedClients == 0 && test.port.clients.isEmpty })
        // Compaction leaves at most twice the live entries and a constant; none is live once all have closed.
        #expect(
            eventually { test.port.storedDeadlineCount.handshakes <= 40 },
            "\(test.port.storedDeadlineCount.handshakes) handshake deadlines held after 3000 handshakes"
        )
        #expect(
            eventually { test.port.storedDeadlineCount.frames <= 40 },
            "\(test.port.storedDeadlineCount.frames) frame deadlines held after 750 partial frames"
        )
    }
}

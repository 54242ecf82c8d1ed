// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// FltSendMessage with descriptors (docs/protocol.md section 12), server library to Swift client over a real
/// socket. Leaks are checked with a pipe: every side passes (a duplicate of) its write end and the test closes
/// its own, so the read end sees end of file only once every copy anywhere in this process was closed.
@Suite("Descriptors from the filter to the client: ClientPort.send(descriptors:)")
struct DescriptorSendTests {
    static func connected(
        _ test: TestPort,
        options: UInt32 = ConnectRequest.descriptorsOption
    ) throws -> (
        FilterPort, ClientPort
    ) {
        let client = try FilterPort.connect(to: test.name, options: ConnectOptions(options: options))
        var port: ClientPort?
        _ = eventually {
            port = test.port.clients.first
            return port != nil
        }
        return (client, try #require(port))
    }

    /// A pipe whose read end tells when every write end is closed.
    struct Pipe {
        let read: Int32
        let write: Int32
        init() {
            var ends: [Int32] = [0, 0]
            pipe(&ends)
            read = ends[0]
            write = ends[1]
        }
        /// Closes this pipe's own write end and waits for end of file (every copy closed) for at most 10 s.
        func writeEndsAllClosed() -> Bool {
            close(write)
            defer { close(read) }
            var descriptor = pollfd(fd: read, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 10_000) == 1 else { return false }
            var byte: UInt8 = 0
            return Glibc.read(read, &byte, 1) == 0
        }
    }

    @Test("a descriptor passed with a MESSAGE reads the file; one passed with the REPLY reaches the sender")
    func messageAndReply() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        #expect(port.acceptsDescriptors)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("minifltd-msg-\(getpid())").path
        try Data("the watched file's content".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let file = open(path, O_RDONLY | O_CLOEXEC)
        let pipe = Pipe()
        let sender = Thread {
            let (result, replyDescriptors) = port.send(
                [1],
                descriptors: PassedDescriptors.duplicating([file]),
                replyCapacity: 4,
                timeout: .seconds(10)
            )
            #expect(result == .replied(status: .success, reply: [9]))
            #expect(replyDescriptors?.count == 1)
        }
        sender.start()
        let message = try client.getMessage(bufferSize: 64)
        let received = try #require(message.descriptors)
        #expect(received.count == 1)
        var bytes = [UInt8](repeating: 0, count: 26)
        #expect(bytes.withUnsafeMutableBytes { pread(received.descriptors[0], $0.baseAddress, 26, 0) } == 26)
        #expect(bytes == Array("the watched file's content".utf8))
        try client.reply(to: message.messageID, [9], descriptors: PassedDescriptors.duplicating([pipe.write]))
        close(file)
        received.close()
        #expect(eventually { sender.isFinished })
        #expect(pipe.writeEndsAllClosed(), "the reply's descriptor was kept")
    }

    @Test("the completion form gets the reply's descriptors")
    func completion() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let got = Mutex<Int?>(nil)
        let pipe = Pipe()
        port.send([2], descriptors: PassedDescriptors.duplicating([pipe.write]), replyCapacity: 4) { result, back in
            got.withLock { $0 = result == .replied(status: .success, reply: []) ? back?.count ?? 0 : -1 }
        }
        let message = try client.getMessage(bufferSize: 64)
        #expect(message.descriptors?.count == 1)
        try client.reply(
            to: message.messageID,
            [],
            descriptors: message.descriptors.map { PassedDescriptors(taking: $0.take()) }
        )
        #expect(eventually { got.withLock { $0 } == 1 })
        #expect(pipe.writeEndsAllClosed())
    }

    @Test("a client that did not opt in receives none; the server closes what it was given")
    func notOptedIn() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test, options: 0)
        #expect(!port.acceptsDescriptors)
        let pipe = Pipe()
        #expect(port.send([3], descriptors: PassedDescriptors.duplicating([pipe.write])).result == .delivered)
        let message = try client.getMessage(bufferSize: 64)
        #expect(message.bytes == [3])
        #expect(message.descriptors == nil)
        #expect(pipe.writeEndsAllClosed())
    }

    @Test("a reply after the timeout: 0x801F0020, and its descriptors are closed")
    func lateReply() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let pipe = Pipe()
        let (result, back) = port.send([4], descriptors: nil, replyCapacity: 4, timeout: .milliseconds(100))
        #expect(result == .timedOut)
        #expect(back == nil)
        let message = try client.getMessage(bufferSize: 64)
        #expect(throws: FilterPortError.self) {
            try client.reply(to: message.messageID, [], descriptors: PassedDescriptors.duplicating([pipe.write]))
        }
        #expect(pipe.writeEndsAllClosed())
    }

    @Test("a client that never reads, then goes: every descriptor sent or queued to it is closed")
    func neverReads() throws {
        let test = try TestPort()
        let pipe = Pipe()
        do {
            let (client, port) = try Self.connected(test)
            for index in 0..<200 {
                let result = port.send(
                    [UInt8](repeating: UInt8(index % 256), count: 8192),
                    descriptors: PassedDescriptors.duplicating([pipe.write])
                ).result
                #expect(result == .delivered || result == .portDisconnected)
            }
            client.close()
        }
        #expect(eventually { test.port.clients.isEmpty })
        #expect(pipe.writeEndsAllClosed())
    }
}

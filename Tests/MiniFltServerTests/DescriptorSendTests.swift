// SPDX-License-Identifier: MIT
import Dispatch
import Foundation
import Logging
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

    /// `count` duplicates of `descriptor`.
    static func duplicates(of descriptor: Int32, _ count: Int) throws -> PassedDescriptors {
        try #require(PassedDescriptors.duplicating([Int32](repeating: descriptor, count: count)))
    }

    @Test("over 253 descriptors to ClientPort.send: STATUS_INVALID_PARAMETER, nothing sent, every one closed")
    func tooManyToSend() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let pipe = Pipe()
        let blocking = port.send([5], descriptors: try Self.duplicates(of: pipe.write, 254), replyCapacity: 4)
        #expect(blocking.result == .invalidParameter)
        #expect(blocking.result.status == .invalidParameter)
        #expect(blocking.replyDescriptors == nil)
        let completed = Mutex<FilterMessageResult?>(nil)
        port.send([6], descriptors: try Self.duplicates(of: pipe.write, 300), replyCapacity: 4) { result, back in
            completed.withLock { $0 = back == nil ? result : nil }
        }
        #expect(completed.withLock { $0 } == .invalidParameter, "the completion runs at once")
        // The connection is untouched: 253 still go, and the client got nothing before them.
        #expect(port.send([7], descriptors: try Self.duplicates(of: pipe.write, 253)).result == .delivered)
        let message = try client.getMessage(bufferSize: 64)
        #expect(message.bytes == [7])
        #expect(message.descriptors?.count == 253)
        message.descriptors?.close()
        #expect(pipe.writeEndsAllClosed())
    }

    @Test("over 253 descriptors from the Swift client's send or reply: 0x80070057, nothing sent, every one closed")
    func tooManyFromClient() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let pipe = Pipe()
        let refused = try Self.duplicates(of: pipe.write, 254)
        do {
            _ = try client.send([1], descriptors: refused, outputCapacity: 4)
            Issue.record("a send with 254 descriptors went")
        } catch {
            #expect(error.hresult == HResult(rawValue: 0x8007_0057), "\(error)")
        }
        #expect(refused.count == 0, "a refused send closes its descriptors")
        let sender = Thread { _ = port.send([8], replyCapacity: 4, timeout: .seconds(10)) }
        sender.start()
        let message = try client.getMessage(bufferSize: 64)
        let refusedReply = try Self.duplicates(of: pipe.write, 254)
        do {
            try client.reply(to: message.messageID, [], descriptors: refusedReply)
            Issue.record("a reply with 254 descriptors went")
        } catch {
            #expect(error.hresult == HResult(rawValue: 0x8007_0057), "\(error)")
        }
        // Nothing was sent: the message still waits for its one reply.
        try client.reply(to: message.messageID, [1])
        #expect(eventually { sender.isFinished })
        #expect(try client.send([2], outputCapacity: 4) == [2])
        #expect(pipe.writeEndsAllClosed())
    }

    @Test("a message routine that returns over 253 descriptors: the client gets 0x80070057, every one is closed")
    func tooManyFromRoutine() throws {
        let pipe = Pipe()
        let write = pipe.write
        let name = "\\MiniFltServerTest_tooManyFromRoutine_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let port = try ServerPort(
            configuration: ServerPortConfiguration(name: try PortName(name)),
            serverCookie: (),
            routines: PortRoutines<Void, Void>(
                connect: { _, _, _ in .accept(()) },
                disconnect: { _ in },
                descriptorMessage: { _, input, _, _ in
                    let count = input == [1] ? 254 : 253
                    return MessageResult(
                        output: [UInt8(count - 250)],
                        descriptors: PassedDescriptors.duplicating([Int32](repeating: write, count: count))
                    )
                }
            ),
            routineQueue: DispatchQueue(label: "test.routines"),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        defer { port.shutdown(timeout: .seconds(10)) }
        do {
            let client = try FilterPort.connect(
                to: name,
                options: ConnectOptions(options: ConnectRequest.descriptorsOption)
            )
            do {
                _ = try client.send([1], outputCapacity: 4)
                Issue.record("a result with 254 descriptors went")
            } catch {
                #expect(error.hresult == HResult(rawValue: 0x8007_0057), "\(error)")
            }
            let (output, back) = try client.send([2], descriptors: nil, outputCapacity: 4)
            #expect(output == [3])
            #expect(back?.count == 253)
            back?.close()
        }
        #expect(pipe.writeEndsAllClosed())
    }
}

// SPDX-License-Identifier: MIT
import Dispatch
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

@Suite("Filter to user: FltSendMessage, FilterGetMessage and FilterReplyMessage, with an in-process port")
struct FilterMessageTests {
    /// A connected client and its server-side client port.
    static func connected(_ test: TestPort) throws -> (FilterPort, ClientPort) {
        let client = try FilterPort.connect(to: test.name)
        var port: ClientPort?
        _ = eventually {
            port = test.port.clients.first
            return port != nil
        }
        guard let port else { throw FilterMessageTestError.noClientPort }
        return (client, port)
    }

    @Test("a message without a reply arrives with its header; one with a reply returns the client's answer")
    func sendAndReply() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        #expect(port.send([1, 2, 3]) == .delivered)
        let plain = try client.getMessage(bufferSize: 4096)
        #expect(plain.bytes == [1, 2, 3])
        #expect(plain.replyLength == 0)
        #expect(
            plain.buffer.prefix(16) == [0, 0, 0, 0, 0, 0, 0, 0]
                + withUnsafeBytes(of: plain.messageID.littleEndian, Array.init)
        )

        let answer = Thread {
            guard let message = try? client.getMessage(bufferSize: 4096) else { return }
            try? client.reply(to: message.messageID, [0, 0, 0, UInt8(message.replyLength)])
        }
        answer.start()
        #expect(
            port.send(Array("path".utf8), replyCapacity: 4, timeout: .seconds(5))
                == .replied(status: .success, reply: [0, 0, 0, 4])
        )
    }

    @Test("no reply in time is a timeout, not a reply; the late reply gets 0x801F0020")
    func timeoutAndLateReply() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let result = port.send([7], replyCapacity: 4, timeout: .milliseconds(100))
        #expect(result == .timedOut)
        #expect(result.status == .timeout)
        let message = try client.getMessage(bufferSize: 64)
        expectFailure(.fltNoWaiterForReply, "a late reply was accepted") {
            try client.reply(to: message.messageID, [0, 0, 0, 1])
        }
        expectFailure(.fltNoWaiterForReply, "a reply to an unknown id was accepted") {
            try client.reply(to: 999_999, [])
        }
    }

    @Test("a reply over the capacity is refused with 0x800700EA and the filter keeps waiting for a proper one")
    func replyOverCapacity() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let outcome = StateLock<FilterMessageResult?>(nil)
        let sender = Thread {
            let result = port.send([1], replyCapacity: 4, timeout: .seconds(5))
            outcome.withLock { $0 = result }
        }
        sender.start()
        let message = try client.getMessage(bufferSize: 64)
        expectFailure(.moreData, "a reply over the capacity was accepted") {
            try client.reply(to: message.messageID, [1, 2, 3, 4, 5])
        }
        try client.reply(to: message.messageID, [9, 9, 9, 9])
        #expect(eventually { outcome.withLock { $0 } == .replied(status: .success, reply: [9, 9, 9, 9]) })
    }

    @Test("the client going away mid-wait ends the send with STATUS_PORT_DISCONNECTED")
    func clientGone() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let closer = Thread {
            _ = try? client.getMessage(bufferSize: 64)
            client.close()
        }
        closer.start()
        let result = port.send([1], replyCapacity: 4, timeout: .seconds(5))
        #expect(result == .portDisconnected)
        #expect(result.status == .portDisconnected)
    }

    @Test("10 gets outstanding from 10 threads: each message goes to exactly one of them")
    func outstandingGets() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let received = StateLock<[UInt8]>([])
        let threads = (0..<10).map { _ in
            Thread {
                if let message = try? client.getMessage(bufferSize: 64) { received.withLock { $0 += message.bytes } }
            }
        }
        for thread in threads { thread.start() }
        Thread.sleep(forTimeInterval: 0.1)  // the gets are outstanding before the messages exist
        for value in 0..<10 { #expect(port.send([UInt8(value)]) == .delivered) }
        #expect(eventually { received.withLock { $0.count } == 10 })
        #expect(received.withLock { $0.sorted() } == Array(0..<10))
    }

    @Test("async gets: 10 tasks wait without a thread each, and each message goes to exactly one of them")
    func asyncGets() async throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let received = try await withThrowingTaskGroup(of: UInt8.self) { group in
            for _ in 0..<10 { group.addTask { try await client.message(bufferSize: 64).bytes[0] } }
            try await Task.sleep(for: .milliseconds(100))
            for value in 0..<10 { #expect(port.send([UInt8(value)]) == .delivered) }
            return try await group.reduce(into: [UInt8]()) { $0.append($1) }
        }
        #expect(received.sorted() == Array(0..<10))
    }

    @Test("a cancelled async get ends with 0x800704C7 and takes no message")
    func asyncCancellation() async throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let waiting = Task { try await client.message(bufferSize: 64) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        do {
            _ = try await waiting.value
            Issue.record("a cancelled get returned a message")
        } catch let error as FilterPortError {
            #expect(error.hresult.rawValue == 0x8007_04C7)
        }
        #expect(port.send([42]) == .delivered)
        #expect(try await client.message(bufferSize: 64).bytes == [42])
    }

    @Test("closing the handle ends a suspended get with 0x80070006")
    func asyncClose() async throws {
        let test = try TestPort()
        let (client, _) = try Self.connected(test)
        let waiting = Task { try await client.message(bufferSize: 64) }
        try await Task.sleep(for: .milliseconds(50))
        client.close()
        do {
            _ = try await waiting.value
            Issue.record("a get on a closed handle returned a message")
        } catch let error as FilterPortError {
            #expect(error.hresult == .invalidHandle)
        }
    }

    @Test("a buffer too small fails with 0x8007007A and loses nothing")
    func bufferTooSmall() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        #expect(port.send(Array(repeating: 5, count: 100)) == .delivered)
        expectFailure(.insufficientBuffer, "a message fit a buffer too small for it") {
            try client.getMessage(bufferSize: 16 + 99)
        }
        #expect(try client.getMessage(bufferSize: 16 + 100).bytes.count == 100)
    }

    @Test("after the server closes the client port, every call fails with 0x80070006")
    func closedByServer() throws {
        let test = try TestPort()
        let (client, port) = try Self.connected(test)
        let waiting = StateLock<FilterPortError?>(nil)
        let getter = Thread {
            do throws(FilterPortError) { _ = try client.getMessage(bufferSize: 64) } catch {
                waiting.withLock { $0 = error }
            }
        }
        getter.start()
        Thread.sleep(forTimeInterval: 0.05)
        port.close()
        #expect(eventually { waiting.withLock { $0 }?.hresult == .invalidHandle })
        #expect(throws: FilterPortError.self) { try client.getMessage(bufferSize: 64) }
        #expect(throws: FilterPortError.self) { try client.reply(to: 1, []) }
        #expect(throws: FilterPortError.self) { try client.send([], outputCapacity: 0) }
        #expect(port.send([1], replyCapacity: 4, timeout: .seconds(1)) == .portDisconnected)
    }
}

enum FilterMessageTestError: Error { case noClientPort }

// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

/// ClientPort.send with a completion: many messages in flight to one client, no thread blocked for any, and
/// each completion called exactly once, whether the reply, the timeout or the client's going comes first.
@Suite("FltSendMessage without a blocked thread: ClientPort.send(completion:)")
struct AsyncSendTests {
    /// What the completions were called with, by message.
    final class Outcomes: Sendable {
        let results = StateLock<[Int: [FilterMessageResult]]>([:])

        func record(_ index: Int) -> @Sendable (FilterMessageResult) -> Void {
            { [self] result in results.withLock { $0[index, default: []].append(result) } }
        }

        var calls: Int { results.withLock { $0.values.reduce(0) { $0 + $1.count } } }
        var snapshot: [Int: [FilterMessageResult]] { results.withLock { $0 } }
    }

    @Test("32 messages in flight to one client from one thread: each completion gets its own reply, once")
    func manyInFlight() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let outcomes = Outcomes()
        for index in 0..<32 {
            port.send([UInt8(index)], replyCapacity: 4, timeout: .seconds(10), completion: outcomes.record(index))
        }
        // Every message is out before any reply: nothing waited for one.
        var messages: [FilterMessage] = []
        for _ in 0..<32 { messages.append(try client.getMessage(bufferSize: 64)) }
        #expect(outcomes.calls == 0)
        for message in messages.reversed() {
            try client.reply(to: message.messageID, [message.bytes[0], 0, 0, 7])
        }
        #expect(eventually { outcomes.calls == 32 })
        let results = outcomes.snapshot
        for index in 0..<32 {
            #expect(results[index] == [.replied(status: .success, reply: [UInt8(index), 0, 0, 7])], "message \(index)")
        }
        client.close()
        #expect(eventually { test.port.clients.isEmpty })
        #expect(outcomes.calls == 32, "a completion was called again when the client went")
    }

    @Test("no reply in time: .timedOut once; the late reply gets 0x801F0020, and the client's going adds nothing")
    func timeout() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let outcomes = Outcomes()
        port.send([7], replyCapacity: 4, timeout: .milliseconds(100), completion: outcomes.record(0))
        let message = try client.getMessage(bufferSize: 64)
        #expect(eventually { outcomes.calls == 1 })
        #expect(outcomes.snapshot[0] == [.timedOut])
        expectFailure(.fltNoWaiterForReply, "a late reply was accepted") {
            try client.reply(to: message.messageID, [0, 0, 0, 1])
        }
        client.close()
        #expect(eventually { test.port.clients.isEmpty })
        #expect(outcomes.calls == 1)
    }

    @Test("the client goes with messages in flight: each completion gets .portDisconnected, once")
    func clientGoes() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let outcomes = Outcomes()
        for index in 0..<8 {
            port.send([1], replyCapacity: 4, timeout: .milliseconds(300), completion: outcomes.record(index))
        }
        client.close()
        #expect(eventually { outcomes.calls == 8 })
        // Past the timeout: the deadlines find nobody waiting.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(outcomes.snapshot.values.allSatisfy { $0 == [.portDisconnected] }, "\(outcomes.snapshot)")
        #expect(outcomes.calls == 8)
    }

    @Test("no reply asked for: .delivered at once; once the client is gone: .portDisconnected at once")
    func immediateOutcomes() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let outcomes = Outcomes()
        port.send([1, 2, 3], completion: outcomes.record(0))
        #expect(outcomes.snapshot[0] == [.delivered])
        #expect(try client.getMessage(bufferSize: 64).bytes == [1, 2, 3])
        port.close()
        #expect(eventually { test.port.clients.isEmpty })
        port.send([4], replyCapacity: 4, completion: outcomes.record(1))
        port.send([5], completion: outcomes.record(2))
        #expect(outcomes.snapshot[1] == [.portDisconnected])
        #expect(outcomes.snapshot[2] == [.portDisconnected])
    }

    @Test(
        "sendAcceptingReply: a reply the sender accepts gets 0, one it refuses 0xC01C0020, decided before REPLY_RESULT is written"
    )
    func acceptingReply() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let outcomes = Outcomes()
        for (index, accepts) in [true, false].enumerated() {
            port.sendAcceptingReply([UInt8(index)], descriptors: nil, replyCapacity: 4, timeout: .seconds(10)) {
                result,
                _ in
                outcomes.record(index)(result)
                return accepts
            }
        }
        let taken = try client.getMessage(bufferSize: 64)
        let refused = try client.getMessage(bufferSize: 64)
        // FilterReplyMessage returns once REPLY_RESULT came, so the sender was asked by then.
        try client.reply(to: taken.messageID, [0, 0, 0, 1])
        #expect(outcomes.snapshot[0] == [.replied(status: .success, reply: [0, 0, 0, 1])])
        expectFailure(.fltNoWaiterForReply, "a reply the sender refused was reported taken") {
            try client.reply(to: refused.messageID, [0, 0, 0, 1])
        }
        #expect(outcomes.snapshot[1] == [.replied(status: .success, reply: [0, 0, 0, 1])])
        // Refused is final: the sender is not asked again, and a second reply finds nobody waiting.
        expectFailure(.fltNoWaiterForReply, "a second reply was taken") {
            try client.reply(to: refused.messageID, [0, 0, 0, 0])
        }
        client.close()
        #expect(eventually { test.port.clients.isEmpty })
        #expect(outcomes.calls == 2)
    }
}

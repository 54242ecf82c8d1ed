// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltPosix
import MiniFltServer
import MiniFltTestSupport
import MiniFltWire
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Who a frame wakes on a FilterPort shared by many threads (Sources/MiniFltClient/WaitingCalls.swift), with an
/// in-process port.
@Suite("FilterPort wake-ups: a frame wakes the call it is for, and the reader role is never dropped")
struct FilterPortWakeUpTests {
    /// The voluntary context switches of the calling thread so far.
    static func voluntarySwitches() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD, which Glibc's module leaves out (it is GNU's)
        return usage.ru_nvcsw
    }

    static let stop: [UInt8] = [0xFF]

    /// What answering threads record: each one's voluntary context switches, and the messages' bytes.
    final class Tally: Sendable {
        let switches = StateLock<[Int]>([])
        let received = StateLock<[[UInt8]]>([])
    }

    /// Threads that take messages until one brings `stop`, answering those that await a reply with
    /// `[0, 0, 0, 0]`; each records its voluntary context switches from its first FilterGetMessage on.
    static func answerers(_ count: Int, on client: FilterPort, tally: Tally) -> [PosixThread] {
        (0..<count).map { _ in
            PosixThread(name: "answerer") {
                let before = voluntarySwitches()
                while let message = try? client.getMessage(bufferSize: 64) {
                    if message.replyLength > 0 { _ = try? client.reply(to: message.messageID, [0, 0, 0, 0]) }
                    if message.bytes == stop { break }
                    tally.received.withLock { $0.append(message.bytes) }
                }
                let after = voluntarySwitches()
                tally.switches.withLock { $0.append(after - before) }
            }
        }
    }

    /// Joins `threads` on a thread of its own: the test's task does not hold one of the pool's threads.
    static func joined(_ threads: [PosixThread]) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            PosixThread(name: "joiner") {
                for thread in threads { thread.join() }
                done.resume()
            }.detach()
        }
    }

    @Test("16 threads in FilterGetMessage, 200 messages one at a time: far fewer thread switches than 16 x 200")
    func oneWakeUpPerFrame() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let threads = 16
        let messages = 200
        let tally = Tally()
        let workers = Self.answerers(threads, on: client, tally: tally)
        for index in 0..<messages {
            let result = port.send([UInt8(index % 200)], replyCapacity: 4, timeout: .seconds(30))
            #expect(result == .replied(status: .success, reply: [0, 0, 0, 0]))
        }
        for _ in 0..<threads {
            let result = port.send(Self.stop, replyCapacity: 4, timeout: .seconds(30))
            #expect(result == .replied(status: .success, reply: [0, 0, 0, 0]))
        }
        for worker in workers { worker.join() }
        let total = tally.switches.withLock { $0.reduce(0, +) }
        // Two frames per message (MESSAGE, REPLY_RESULT): waking every waiter for each made about
        // 2 x 15 switches per message; the thread a frame is for, and one to take over reading, about 4.
        #expect(total < threads * messages / 2, "\(total) voluntary context switches for \(messages) messages")
        client.close()
    }

    @Test("8 threads answer messages that 4 threads send at once: each send gets its reply, each message is taken once")
    func concurrentReplies() throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let tally = Tally()
        let answerers = Self.answerers(8, on: client, tally: tally)
        let results = StateLock<[FilterMessageResult]>([])
        let senders = (0..<4).map { sender in
            PosixThread(name: "server-send") {
                for index in 0..<100 {
                    let result = port.send([UInt8(sender), UInt8(index)], replyCapacity: 4, timeout: .seconds(30))
                    results.withLock { $0.append(result) }
                }
            }
        }
        for sender in senders { sender.join() }
        for _ in answerers {
            results.withLock { $0.append(port.send(Self.stop, replyCapacity: 4, timeout: .seconds(30))) }
        }
        for answerer in answerers { answerer.join() }
        let answered: FilterMessageResult = .replied(status: .success, reply: [0, 0, 0, 0])
        #expect(results.withLock { $0.count } == 4 * 100 + 8)
        #expect(results.withLock { $0 }.allSatisfy { $0 == answered })
        let expected: [[UInt8]] = (0..<4).flatMap { sender in (0..<100).map { [UInt8(sender), UInt8($0)] } }
        let got: [[UInt8]] = tally.received.withLock { $0 }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(got == expected)
        client.close()
    }

    @Test("sync and async gets, and sends, on one handle while messages come from many threads: each gets its own")
    func mixedCallers() async throws {
        let test = try TestPort()
        let (client, port) = try FilterMessageTests.connected(test)
        let tally = Tally()
        let answerers = Self.answerers(4, on: client, tally: tally)
        // Sends, whose results come while other threads hold the reader role.
        let sent = StateLock<[[UInt8]]>([])
        let sendThreads = (0..<3).map { thread in
            PosixThread(name: "sender") {
                for index in 0..<40 {
                    if let output = try? client.send([UInt8(thread), UInt8(index)], outputCapacity: 8) {
                        sent.withLock { $0.append(output) }
                    }
                }
            }
        }
        // Messages awaiting no reply: a suspended call may wait long for one of the task pool's few threads
        // (a reply deadline would measure the pool, not the port).
        let results = StateLock<[FilterMessageResult]>([])
        let serverThreads = (0..<4).map { sender in
            PosixThread(name: "server-send") {
                for index in 0..<50 {
                    let result = port.send([UInt8(sender), UInt8(index)])
                    results.withLock { $0.append(result) }
                }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while true {
                        let message = try await client.message(bufferSize: 64)
                        if message.bytes == Self.stop { return }
                        tally.received.withLock { $0.append(message.bytes) }
                    }
                }
            }
            // One stop for each waiting call, sync or async, after every other message: each call takes one
            // message, in order. Sent from a thread of its own, as every blocking wait here: the suspended
            // calls need the task pool's few threads.
            let stopper = PosixThread(name: "server-stop") {
                for thread in serverThreads { thread.join() }
                for _ in 0..<(8 + answerers.count) { results.withLock { $0.append(port.send(Self.stop)) } }
            }
            try await group.waitForAll()
            await Self.joined([stopper] + answerers + sendThreads)
        }

        #expect(results.withLock { $0 }.allSatisfy { $0 == .delivered })
        let expected: [[UInt8]] = (0..<4).flatMap { sender in (0..<50).map { [UInt8(sender), UInt8($0)] } }
        let got: [[UInt8]] = tally.received.withLock { $0 }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(got == expected)
        let sendsExpected: [[UInt8]] = (0..<3).flatMap { thread in (0..<40).map { [UInt8(thread), UInt8($0)] } }
        let sendsGot: [[UInt8]] = sent.withLock { $0 }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(sendsGot == sendsExpected)
        client.close()
    }

    @Test("closing the handle wakes every blocked call, sync and async, and each fails with 0x80070006")
    func closeWakesEveryone() async throws {
        let test = try TestPort(behaviour: TestPort.Behaviour(slowMessage: .seconds(2)))
        let (client, _) = try FilterMessageTests.connected(test)
        let failures = StateLock<[FilterPortError]>([])
        let getters = (0..<6).map { _ in
            PosixThread(name: "getter") {
                do throws(FilterPortError) { _ = try client.getMessage(bufferSize: 64) } catch {
                    failures.withLock { $0.append(error) }
                }
            }
        }
        let sender = PosixThread(name: "sender") {
            do throws(FilterPortError) { _ = try client.send(TestPort.slow, outputCapacity: 0) } catch {
                failures.withLock { $0.append(error) }
            }
        }
        let suspended = Task { try await client.message(bufferSize: 64) }
        // Closed from a thread of its own, so that a busy task pool cannot delay it past the send's routine.
        let closer = PosixThread(name: "closer") {
            PosixThread.sleep(for: .milliseconds(100))  // the calls wait before the close
            client.close()
        }
        for _ in 0..<500 where failures.withLock({ $0.count }) < 7 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(failures.withLock { $0.count } == 7)
        await Self.joined([closer, sender] + getters)
        #expect(failures.withLock { $0 }.allSatisfy { $0.hresult == .invalidHandle })
        do {
            _ = try await suspended.value
            Issue.record("a suspended get on a closed handle returned a message")
        } catch let error as FilterPortError {
            #expect(error.hresult == .invalidHandle)
        }
    }
}

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

/// ServerPort.serve: a descriptor of the port's user read on the port's own I/O thread, between its clients'
/// reads and writes (how minifltd reads its fanotify group).
@Suite("A descriptor served on the port's I/O thread: ServerPort.serve(_:onReadable:)")
struct ServedDescriptorTests {
    /// A pipe whose read end the port serves; the handler drains it and records the thread and the bytes.
    final class Served: Sendable {
        let readEnd: Int32
        let writeEnd: Int32
        let bytes = StateLock<[UInt8]>([])
        let threads = StateLock<Set<String>>([])

        init() throws {
            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)
            _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
            readEnd = ends[0]
            writeEnd = ends[1]
        }

        func drain() {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(readEnd, &buffer, buffer.count)
            guard count > 0 else { return }
            bytes.withLock { $0 += buffer[0..<count] }
            let thread = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
            _ = threads.withLock { $0.insert(thread.trimmingCharacters(in: .newlines)) }
        }

        func send(_ byte: UInt8) {
            var byte = byte
            _ = write(writeEnd, &byte, 1)
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }
    }

    @Test("readable: the handler runs on the port's I/O thread, for each write, while clients are served")
    func handlerRuns() throws {
        let test = try TestPort()
        let served = try Served()
        let token = try test.port.serve(served.readEnd) { served.drain() }
        defer { test.port.stopServing(token) }
        served.send(1)
        #expect(eventually { served.bytes.withLock { $0 } == [1] })
        // A client's SEND still goes through the same loop, before and after another byte.
        let client = try FilterPort.connect(to: test.name)
        defer { client.close() }
        #expect(try client.send([9], outputCapacity: 8) == [9])
        served.send(2)
        #expect(eventually { served.bytes.withLock { $0 } == [1, 2] })
        #expect(served.threads.withLock { $0 }.isSubset(of: ["minifltd-io", "minifltd-standby"]))
    }

    @Test("stopServing: a byte written afterwards is left unread")
    func stopServing() throws {
        let test = try TestPort()
        let served = try Served()
        let token = try test.port.serve(served.readEnd) { served.drain() }
        served.send(1)
        #expect(eventually { served.bytes.withLock { $0 } == [1] })
        test.port.stopServing(token)
        served.send(2)
        // The loop must turn at least once after the write for the test to mean anything: a probe does that.
        let turned = Atomic<Bool>(false)
        test.port.probeEventLoop { turned.store(true, ordering: .relaxed) }
        #expect(eventually { turned.load(ordering: .relaxed) })
        #expect(served.bytes.withLock { $0 } == [1])
        var left: UInt8 = 0
        #expect(read(served.readEnd, &left, 1) == 1 && left == 2)
    }

    @Test("a descriptor epoll cannot watch: STATUS_INVALID_PARAMETER, and the port serves on")
    func refused() throws {
        let test = try TestPort()
        let file = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        defer { close(file) }
        let error = #expect(throws: ServerPortError.self) { _ = try test.port.serve(file) {} }
        #expect(error?.status == .invalidParameter)
        #expect(error?.description.contains("cannot serve descriptor") == true)
        let client = try FilterPort.connect(to: test.name)
        defer { client.close() }
        #expect(try client.send([3], outputCapacity: 8) == [3])
    }
}

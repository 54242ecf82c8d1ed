// SPDX-License-Identifier: MIT
import CMiniFltPosix
import Foundation
import MiniFltPosix
import MiniFltTestSupport
import Synchronization

/// A real NOTIFY_SOCKET: an abstract datagram socket that collects what sd_notify sends.
final class NotifyListener: Sendable {
    /// The value to put in NOTIFY_SOCKET.
    let address: String
    private let fd: Int32
    private let messages = StateLock<[(time: ContinuousClock.Instant, text: String)]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let name = "minifltd-test-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        address = "@" + name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let bytes = Array(name.utf8)
        guard fd >= 0,
            bytes.withUnsafeBufferPointer({ CMiniFltPosix_bind_abstract(fd, $0.baseAddress, Int32($0.count)) }) == 0
        else { throw NotifyListenerError.bind(errno) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receiveLoop() }
        thread.start()
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        // The receive timeout lets the loop see `stopped`; the descriptor is closed here, never under a recv.
        while !stopped.load(ordering: .acquiring) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                messages.withLock { $0.append((ContinuousClock.now, text)) }
            }
        }
        close(fd)
    }

    /// Every datagram so far.
    var received: [String] { messages.withLock { $0.map(\.text) } }

    /// Datagrams received after `instant`.
    func received(after instant: ContinuousClock.Instant) -> [String] {
        messages.withLock { $0.filter { $0.time > instant }.map(\.text) }
    }

    /// Waits for a datagram containing `text`.
    func waitFor(_ text: String, timeout: Duration = .seconds(5)) -> Bool {
        eventually(timeout: timeout) { received.contains { $0.contains(text) } }
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
    }
}

enum NotifyListenerError: Error { case bind(Int32) }

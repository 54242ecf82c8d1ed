// SPDX-License-Identifier: MIT
import CMiniFltPosix
import Foundation
import MiniFltPosix
import MiniFltWire

/// A client that writes arbitrary bytes, for the protocol tests the real client library never breaks.
final class RawClient {
    let fd: Int32
    private var decoder = FrameDecoder(role: .client, maximumBodyLength: 1 << 24)

    init(port: String) throws {
        fd = try AbstractSocket.connect(to: PortName(port).addressBytes)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Connects and completes the handshake.
    static func connected(port: String, wcharSize: WideCharacterSize = .utf16) throws -> RawClient {
        let client = try RawClient(port: port)
        client.write(Frame.connect(ConnectRequest(wcharSize: wcharSize)).encoded())
        guard case .connectResult(.success)? = try client.readFrame() else { throw RawClientError.handshakeFailed }
        return client
    }

    func write(_ bytes: [UInt8]) {
        _ = try? AbstractSocket.sendAll(fd, bytes)
    }

    /// The next frame; nil at end of stream (or a reset after the server closed).
    func readFrame() throws -> Frame? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let frame = try decoder.next() { return frame }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return nil }
            if count < 0 {
                if errno == ECONNRESET { return nil }
                throw RawClientError.receive(errno)
            }
            decoder.append(buffer[0..<count])
        }
    }
}

enum RawClientError: Error {
    case handshakeFailed
    case receive(Int32)
}

/// The seed's USER_TO_FLT: 4096 bytes of NUL-terminated wide text.
func userToFilter(_ text: String, _ size: WideCharacterSize = .utf16) -> [UInt8] {
    WideString.encodeTerminated(text, as: size, length: 4096)
}

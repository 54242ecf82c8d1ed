// SPDX-License-Identifier: MIT
import MiniFltClient
import MiniFltPosix
import MiniFltWire

#if canImport(Glibc)
import Glibc
#endif

/// The client library (``FilterPort``) against a hostile server.
///
/// A listener in this process takes the client's connection, reads its CONNECT and writes the input as its
/// side of the stream, then closes its write side. The client sends once, then takes and answers the
/// filter's messages until a call fails. Bit 7 of the first byte: the input is the whole answer to CONNECT;
/// otherwise the listener answers CONNECT with success first. Bit 6: the client asks for descriptors
/// (docs/protocol.md section 12) and the listener passes the first byte's low 2 bits' worth of copies of a pipe's
/// write end with the stream's first byte. The rest of the first byte picks the FilterGetMessage buffer size.
///
/// Checked: no input traps or hangs the client (libFuzzer's `-timeout` catches a hang); a message handed out
/// fits the caller's buffer; once the stream has ended every call fails with 0x80070006 or the status the
/// server's DISCONNECT gave; once the handle is gone, the pipe's read end sees end of file: the client closed
/// every copy it received (a count of open descriptors would race with other tests in the process).
public enum ClientFramesFuzzing {
    static let server = HostileListener()

    public static func run(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 1 else { return }
        let answersHandshake = input[0] & 0x80 != 0
        let descriptors = input[0] & 0x40 != 0
        let passed = descriptors ? Int(input[0] & 3) : 0
        let bufferSize = [16, 17, 20, 64, 4096, 1 << 20][Int(input[0] & 0x3F) % 6]
        var stream = answersHandshake ? [] : Frame.connectResult(.success).encoded()
        stream += input[1...]
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        // Close-on-exec: tests run in one process, and a child another test spawns meanwhile would otherwise
        // keep a copy of the write end for its whole life (pipe2 does not import from Glibc).
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let writeEnd = ends[1]
        do {
            let serving = PosixThread(name: "fuzz-server") { [stream] in
                server.serveOne(stream, passing: [Int32](repeating: writeEnd, count: passed))
            }
            defer { serving.join() }
            exercise(answersHandshake: answersHandshake, descriptors: descriptors, bufferSize: bufferSize, input)
        }
        closeDescriptor(writeEnd)
        var readable = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        // Even so, such a child holds a copy from its fork to its exec: wait for that to pass. A copy the
        // client kept stays, and fails the check after 2 s.
        let closed = poll(&readable, 1, 2000) == 1 && read(ends[0], &byte, 1) == 0
        closeDescriptor(ends[0])
        invariant(closed, "a descriptor passed to the client was kept (\(passed) passed)")
    }

    static func exercise(answersHandshake: Bool, descriptors: Bool, bufferSize: Int, _ input: UnsafeRawBufferPointer) {
        var options = ConnectOptions()
        if descriptors { options.options = ConnectRequest.descriptorsOption }
        options.expectedServerUID = getuid()
        options.handshakeTimeout = .seconds(5)
        let port: FilterPort
        do {
            port = try FilterPort.connect(to: server.name, options: options)
        } catch {
            invariant(
                answersHandshake,
                "the handshake failed though the listener answered CONNECT with success: \(error)"
            )
            invariant(
                error.hresult.isFailure,
                "a failed connect reported \(error.hresult), which FAILED() reads as success"
            )
            return
        }
        defer { port.close() }

        _ = try? port.send([0x48, 0x69], outputCapacity: 4096)
        var size = bufferSize
        // Every message needs a frame of at least 20 bytes, so the loop ends within the input's length.
        for _ in 0...(input.count / 20 + 1) {
            do {
                let message = try port.getMessage(bufferSize: size)
                invariant(FilterMessage.headerSize + message.bytes.count <= size, "a message larger than the buffer")
                let reply = [UInt8](repeating: 0, count: min(message.replyLength, 4))
                _ = try? port.reply(to: message.messageID, reply)
            } catch  where error.hresult == .insufficientBuffer {
                size = 1 << 27  // the message stays queued: take it with a buffer it fits
            } catch {
                break
            }
        }
        // The listener has closed its side, so whatever the stream held, the handle is spent by now.
        do {
            _ = try port.getMessage(bufferSize: 1 << 27)
            invariant(false, "getMessage succeeded after the stream had ended")
        } catch {
            invariant(
                error.hresult.isFailure,
                "a failed getMessage reported \(error.hresult), which FAILED() reads as success"
            )
        }
    }
}

/// An abstract listener in this process that plays the server for one connection at a time.
final class HostileListener: Sendable {
    let name = "\\minifltfuzz-\(getpid())"
    private let fd: Int32

    init() {
        do {
            // The port name is valid by construction, so only the socket calls can fail.
            fd = try AbstractSocket.listen(at: PortName(name).addressBytes)
        } catch {
            fatalError("the fuzz listener cannot listen at \(name): \(error)")
        }
    }

    /// Accepts one client, reads its CONNECT, writes `stream`, and closes once the client has closed (so
    /// that nothing it wrote is left unread, which would reset the client's side early).
    func serveOne(_ stream: [UInt8], passing passed: [Int32]) {
        var descriptors = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        guard poll(&descriptors, 1, 5000) == 1 else { return }
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return }
        defer { closeDescriptor(client) }
        var header = [UInt8](repeating: 0, count: 64)
        _ = header.withUnsafeMutableBytes { recv(client, $0.baseAddress, 24, Int32(MSG_WAITALL)) }
        _ = try? AbstractSocket.sendAll(client, stream, descriptors: stream.isEmpty ? [] : passed)
        shutdown(client, Int32(SHUT_WR))
        while header.withUnsafeMutableBytes({ recv(client, $0.baseAddress, $0.count, 0) }) > 0 {}
    }
}

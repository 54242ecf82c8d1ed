// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltClient
import MiniFltPosix
import MiniFltWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `minifltctl listen`: the seed client's second half. Receives each FLT_TO_USER message (a wide-string
/// path, docs/protocol.md section 8), prints its bytes as the file system has them, and answers
/// FLT_TO_USER_REPLY with block = 1 when the path contains a `--block` substring.
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Receive the filter's messages and answer whether to block each opened file.",
        discussion: """
            Prints "<path> will be blocked" or "<path>" for each message. Keeps --threads x --requests \
            FilterGetMessage calls outstanding, as the scanner sample does. Runs until the port closes the \
            connection (exit 1) or the process is interrupted.
            """
    )

    @OptionGroup var connection: PortOptions

    @Option(name: .customLong("block"), help: "Block opens of paths that contain this text (repeatable).")
    var blocked: [String] = []

    @Option(help: "Threads waiting for messages.")
    var threads = 2

    @Option(help: "FilterGetMessage calls each thread keeps outstanding.")
    var requests = 5

    @Option(
        name: .customLong("read"),
        help:
            "Ask for the opened file's descriptor with each message (FLT_PORT_FLAG_DESCRIPTORS; minifltd --pass-descriptors) and print its first BYTES bytes, read through it."
    )
    var readBytes = 0

    func validate() throws {
        guard threads >= 1, requests >= 1, threads * requests <= 1024 else {
            throw ValidationError("--threads and --requests must be at least 1, with at most 1024 gets in all")
        }
        guard (0...65536).contains(readBytes) else { throw ValidationError("--read must be between 0 and 65536") }
    }

    func run() throws {
        let size = self.connection.wcharSize
        let connection = try self.connection.connect(
            options: readBytes > 0 ? ConnectRequest.descriptorsOption : 0
        )
        let blocked = self.blocked
        let readBytes = self.readBytes
        let failure = StateLock<FilterPortError?>(nil)
        // Each blocking FilterGetMessage is one outstanding request; threads x requests of them.
        let workers = (0..<threads * requests).map { index in
            PosixThread(name: "listen-\(index)") {
                do throws(FilterPortError) {
                    while true {
                        let message = try connection.getMessage(bufferSize: FilterMessage.headerSize + 4096)
                        let path = WidePath.decode(message.bytes, as: size)
                        let block = blocked.contains { path.contains(Array($0.utf8)) }
                        var line = path + Array((block ? " will be blocked" : "").utf8)
                        if readBytes > 0 { line += Listen.firstBytes(of: message, count: readBytes) }
                        StandardOutput.write(bytes: line + [0x0A])
                        if message.replyLength >= 4 {
                            var reply: [UInt8] = []
                            reply.appendLittleEndian(UInt32(block ? 1 : 0))
                            try connection.reply(to: message.messageID, reply)
                        }
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    connection.close()
                }
            }
        }
        for worker in workers { worker.join() }
        if let error = failure.withLock({ $0 }) { throw reportFailure("FilterGetMessage", error) }
    }

    /// `: "..."`, the first bytes read through the message's descriptor (closed here), escaped as a C string;
    /// or a note that none came, and why when the kernel dropped it (docs/protocol.md section 12).
    static func firstBytes(of message: FilterMessage, count: Int) -> [UInt8] {
        let descriptors = message.descriptors
        if let lost = message.descriptorsLost { return Array(": (descriptor lost: \(lost))".utf8) }
        guard let descriptor = descriptors?.descriptors.first else { return Array(": (no descriptor)".utf8) }
        defer { descriptors?.close() }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard read >= 0 else { return Array(": (cannot read: errno \(errno))".utf8) }
        var text = ": \""
        for byte in bytes.prefix(read) {
            switch byte {
            case 0x5C: text += "\\\\"
            case 0x22: text += "\\\""
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return Array((text + "\"").utf8)
    }
}

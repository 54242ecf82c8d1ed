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

    func validate() throws {
        guard threads >= 1, requests >= 1, threads * requests <= 1024 else {
            throw ValidationError("--threads and --requests must be at least 1, with at most 1024 gets in all")
        }
    }

    func run() throws {
        let size = self.connection.wcharSize
        let connection = try self.connection.connect()
        let blocked = self.blocked
        let failure = StateLock<FilterPortError?>(nil)
        // Each blocking FilterGetMessage is one outstanding request; threads x requests of them.
        let workers = (0..<threads * requests).map { index in
            PosixThread(name: "listen-\(index)") {
                do throws(FilterPortError) {
                    while true {
                        let message = try connection.getMessage(bufferSize: FilterMessage.headerSize + 4096)
                        let path = WidePath.decode(message.bytes, as: size)
                        let block = blocked.contains { path.contains(Array($0.utf8)) }
                        StandardOutput.write(bytes: path + Array((block ? " will be blocked\n" : "\n").utf8))
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
}

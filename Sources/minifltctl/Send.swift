// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltClient
import MiniFltPosix
import MiniFltWire
import Synchronization

/// `minifltctl send`: the seed client's FilterSendMessage with a USER_TO_FLT and a USER_TO_FLT_REPLY.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send TEXT as the seed's 4096-byte USER_TO_FLT and print the reply.",
        discussion: """
            Prints the reply text, or "No reply" when the filter returned no bytes. Errors go to stderr as \
            "FilterSendMessage failed (HRESULT = 0x80070005)", followed by what to do, and the exit status is 1.
            """
    )

    @OptionGroup var connection: PortOptions

    @Option(help: "The reply buffer's size in bytes (the seed's USER_TO_FLT_REPLY is 4096).")
    var capacity = 4096

    @Option(name: .customLong("repeat"), help: "Send N times and print a latency summary (count, p50, p99, rt/s).")
    var repetitions = 1

    @Option(help: "The message's size in bytes: TEXT as a NUL-terminated wide string in a buffer this big.")
    var size = 4096

    @Option(help: "Connections that each send --repeat times at once, one thread each (a load generator).")
    var clients = 1

    @Argument(help: "The text to send.")
    var text: String

    func validate() throws {
        guard capacity >= 0, capacity <= Int(UInt32.max) else {
            throw ValidationError("--capacity must be 0 to 4294967295")
        }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard size >= 0, size <= 1 << 26 else { throw ValidationError("--size must be 0 to 67108864 bytes") }
        guard clients >= 1, clients <= 1024 else { throw ValidationError("--clients must be 1 to 1024") }
    }

    func run() throws {
        let wcharSize = connection.wcharSize
        let message = WideString.encodeTerminated(text, as: wcharSize, length: size)
        // Every connection is made before any thread starts sending, so all of them load the port at once.
        let ports = try (0..<clients).map { _ in try connection.connect() }
        defer { for port in ports { port.close() } }
        let runs = StateLock<[Result<Run, FilterPortError>]>([])
        let start = MonotonicClock.now
        let threads = ports.map { port in
            PosixThread(name: "minifltctl-send") { [repetitions, capacity] in
                let result = Result { () throws(FilterPortError) in
                    try Run(port, message, capacity: capacity, repetitions: repetitions)
                }
                runs.withLock { $0.append(result) }
            }
        }
        for thread in threads { thread.join() }
        let elapsed = MonotonicClock.now - start
        let results = runs.withLock { $0 }
        var latencies: [Int64] = []
        var reply: [UInt8] = []
        for result in results {
            switch result {
            case .success(let run):
                latencies += run.latencies
                reply = run.reply
            case .failure(let error):
                throw reportFailure("FilterSendMessage", error)
            }
        }
        print(reply.isEmpty ? "No reply" : WideString.decode(reply, as: wcharSize))
        if repetitions > 1 || clients > 1 {
            print(LatencySummary(latencies: latencies, elapsedNanoseconds: elapsed).description)
        }
    }
}

/// One connection's sends: the latency of each and the last reply.
private struct Run: Sendable {
    var latencies: [Int64] = []
    var reply: [UInt8] = []

    init(_ port: FilterPort, _ message: [UInt8], capacity: Int, repetitions: Int) throws(FilterPortError) {
        latencies.reserveCapacity(repetitions)
        for _ in 0..<repetitions {
            let before = MonotonicClock.now
            reply = try port.send(message, outputCapacity: capacity)
            latencies.append(MonotonicClock.now - before)
        }
    }
}

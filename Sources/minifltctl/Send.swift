import ArgumentParser
import MiniFltClient
import MiniFltPosix
import MiniFltWire

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

    @Argument(help: "The text to send.")
    var text: String

    func validate() throws {
        guard capacity >= 0, capacity <= Int(UInt32.max) else { throw ValidationError("--capacity must be 0 to 4294967295") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let size = self.connection.wcharSize
        let connection = try self.connection.connect()
        defer { connection.close() }
        let message = WideString.encodeTerminated(text, as: size, length: 4096)
        var latencies: [Int64] = []
        latencies.reserveCapacity(repetitions)
        var reply: [UInt8] = []
        let start = MonotonicClock.now
        for _ in 0..<repetitions {
            let before = MonotonicClock.now
            do {
                reply = try connection.send(message, outputCapacity: capacity)
            } catch {
                throw reportFailure("FilterSendMessage", error)
            }
            latencies.append(MonotonicClock.now - before)
        }
        let elapsed = MonotonicClock.now - start
        print(reply.isEmpty ? "No reply" : WideString.decode(reply, as: size))
        if repetitions > 1 {
            print(LatencySummary(latencies: latencies, elapsedNanoseconds: elapsed).description)
        }
    }
}

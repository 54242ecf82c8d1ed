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

    @Option(help: "The port name.")
    var port = PortName.example

    @Option(help: "The reply buffer's size in bytes (the seed's USER_TO_FLT_REPLY is 4096).")
    var capacity = 4096

    @Option(help: "How wide characters are laid out: 2 (UTF-16, as on Windows) or 4 (UTF-32, wchar_t on Linux).")
    var wchar = 2

    @Option(name: .customLong("repeat"), help: "Send N times and print a latency summary (count, p50, p99, rt/s).")
    var repetitions = 1

    @Option(help: "A uid besides 0 that the port's server may run as.")
    var expectServerUID: UInt32?

    @Argument(help: "The text to send.")
    var text: String

    func validate() throws {
        guard wchar == 2 || wchar == 4 else { throw ValidationError("--wchar must be 2 or 4") }
        guard capacity >= 0, capacity <= Int(UInt32.max) else { throw ValidationError("--capacity must be 0 to 4294967295") }
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let size: WideCharacterSize = wchar == 4 ? .utf32 : .utf16
        var options = ConnectOptions(wcharSize: size)
        options.expectedServerUID = expectServerUID
        let connection: FilterPort
        do {
            connection = try FilterPort.connect(to: port, options: options)
        } catch {
            throw reportFailure("FilterConnectCommunicationPort", error)
        }
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

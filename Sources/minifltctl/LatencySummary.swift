// SPDX-License-Identifier: MIT
/// Round-trip latencies, summarised: `count 100000  p50 9.8 us  p99 14.1 us  101234 rt/s`.
struct LatencySummary: CustomStringConvertible {
    let count: Int
    let p50: Int64
    let p99: Int64
    let roundTripsPerSecond: Double

    init(latencies: [Int64], elapsedNanoseconds: Int64) {
        let sorted = latencies.sorted()
        count = sorted.count
        p50 = sorted.isEmpty ? 0 : sorted[(sorted.count - 1) / 2]
        p99 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
        roundTripsPerSecond = elapsedNanoseconds > 0 ? Double(count) * 1e9 / Double(elapsedNanoseconds) : 0
    }

    var description: String {
        "count \(count)  p50 \(microseconds(p50)) us  p99 \(microseconds(p99)) us  \(Int(roundTripsPerSecond)) rt/s"
    }

    private func microseconds(_ nanoseconds: Int64) -> String {
        let tenths = (nanoseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10)"
    }
}

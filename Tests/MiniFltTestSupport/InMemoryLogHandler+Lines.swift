// SPDX-License-Identifier: MIT
public import InMemoryLogging

extension InMemoryLogHandler {
    /// Each entry as one line, `level key=value ... message` (metadata sorted by key), for tests that look
    /// for text in what was logged.
    public var lines: [String] {
        entries.map { entry in
            let fields = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: " "
            )
            return "\(entry.level) \(fields) \(entry.message)"
        }
    }

    /// Whether any line contains `text`.
    public func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }

    /// How many lines contain `text`.
    public func count(_ text: String) -> Int { lines.filter { $0.contains(text) }.count }
}

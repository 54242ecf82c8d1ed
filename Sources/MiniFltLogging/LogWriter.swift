// SPDX-License-Identifier: MIT
/// Where a ``LogQueue``'s writer thread puts entries: the console, the journal.
///
/// A writer runs on that thread alone, so it may block (a pipe nobody reads, a journal that stopped
/// reading) and keep state without locks; while it blocks, the queue fills and then drops and counts.
public protocol LogWriter: Sendable {
    /// Writes `record`, escaped (``LogEscaping``), however long that takes.
    mutating func write(_ record: LogRecord)
}

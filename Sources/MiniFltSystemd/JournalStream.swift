// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// The stream systemd connects a service's output to when it goes to the journal.
public enum JournalStream {
    /// True when JOURNAL_STREAM names the device and inode of stderr, as systemd sets it for a service
    /// whose output goes to the journal (see systemd.exec(5)): a child that inherited the variable but
    /// writes elsewhere does not match.
    public static var isStandardError: Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return value == "\(status.st_dev):\(status.st_ino)"
    }
}

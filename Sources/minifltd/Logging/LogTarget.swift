import ArgumentParser
import MiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// Where minifltd's log goes (`--log-target`).
enum LogTarget: String, ExpressibleByArgument, CaseIterable {
    /// The journal when stderr is connected to it (JOURNAL_STREAM) or journald listens on its socket, else the
    /// console. (A socket file alone proves nothing: a stopped journald leaves it behind.)
    case auto
    /// Structured entries through sd_journal_sendv.
    case journal
    /// One line per event on stderr.
    case console

    /// `auto` decided for this process.
    var resolved: LogTarget {
        guard self == .auto else { return self }
        let journalListens = AbstractSocket.hasDatagramListener(at: "/run/systemd/journal/socket")
        return LogTarget.stderrIsJournal || journalListens ? .journal : .console
    }

    /// True when JOURNAL_STREAM names the device and inode of stderr, as systemd sets it for a service
    /// whose output goes to the journal (see systemd.exec(5)).
    static var stderrIsJournal: Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return value == "\(status.st_dev):\(status.st_ino)"
    }
}

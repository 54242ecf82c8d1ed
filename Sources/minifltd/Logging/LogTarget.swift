// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltPosix
import MiniFltSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Where minifltd's log goes (`--log-target`).
enum LogTarget: String, ExpressibleByArgument, CaseIterable {
    /// The console when stderr is a terminal (a person watching `make run`); else the journal when stderr is
    /// connected to it (JOURNAL_STREAM) or journald listens on its socket; else the console. (A socket file
    /// alone proves nothing: a stopped journald leaves it behind.)
    case auto
    /// Structured entries on the journal's socket; stderr while it cannot be reached.
    case journal
    /// One line per entry on stderr.
    case console

    /// `auto` decided for this process.
    var resolved: LogTarget {
        guard self == .auto else { return self }
        if isatty(2) == 1 { return .console }
        let journalListens = AbstractSocket.hasDatagramListener(at: LogTarget.journalSocket)
        return JournalStream.isStandardError || journalListens ? .journal : .console
    }

    /// The journal's socket: `MINIFLTD_JOURNAL_SOCKET` when set (for tests and unusual layouts), else
    /// systemd's.
    static var journalSocket: String {
        getenv("MINIFLTD_JOURNAL_SOCKET").map { String(cString: $0) } ?? JournalLogWriter.defaultSocketPath
    }
}

// SPDX-License-Identifier: MIT
import CMiniFltPosix

/// Signal numbers and names that Glibc does not import (SIGRTMIN and SIGRTMAX are macros).
package enum SignalName {
    /// SIGRTMIN...SIGRTMAX, as glibc leaves them to programs (it keeps the first few for itself).
    package static var realtime: ClosedRange<Int32> { CMiniFltPosix_sigrtmin()...CMiniFltPosix_sigrtmax() }

    /// `SIGHUP`, `SIGRTMIN+3`, or `signal 99`.
    package static func of(_ number: Int32) -> String {
        if realtime.contains(number) {
            let offset = number - realtime.lowerBound
            return offset == 0 ? "SIGRTMIN" : "SIGRTMIN+\(offset)"
        }
        guard let abbreviation = CMiniFltPosix_signal_abbreviation(number) else { return "signal \(number)" }
        return "SIG" + String(cString: abbreviation)
    }
}

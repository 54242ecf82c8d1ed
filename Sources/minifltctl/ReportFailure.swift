// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltClient
import MiniFltPosix
import MiniFltWire

/// Prints the seed's `Call failed (HRESULT = 0x80070005)` line and what to do on stderr, and returns the
/// exit code to throw (1).
func reportFailure(_ call: String, _ error: FilterPortError) -> ExitCode {
    var standardError = StandardError()
    print("\(call) failed (HRESULT = \(error.hresult.hex))", to: &standardError)
    print("minifltctl: \(error.message)", to: &standardError)
    return ExitCode(1)
}

// SPDX-License-Identifier: MIT
import Foundation
import Testing

/// The exit statuses the README and `--help` promise, from the built binaries.
@Suite("Exit statuses and --version")
struct ExitStatusTests {
    @Test(
        "--version prints the product version",
        arguments: [Binaries.minifltd, Binaries.minifltctl, Binaries.minifltscan]
    )
    func version(_ binary: URL) throws {
        let result = try runProgram(binary.path, ["--version"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "0.3.2\n", "\(result.standardOutput)")
    }

    static let daemonCases: [([String], Int32)] = [
        (["--bogus"], 64),
        (["--max-connections", "0"], 64),
        (["--verdict-timeout", "-1"], 64),
        (["--sddl", "D:P(A;;0x1;;;XY)"], 2),
        (["--port", "NoBackslash"], 2),
    ]

    @Test("usage errors exit 64, options whose value cannot be used exit 2", arguments: daemonCases)
    func daemon(arguments: [String], status: Int32) throws {
        let result = try runProgram(Binaries.minifltd.path, ["--port", Binaries.uniquePortName("exit")] + arguments)
        #expect(result.status == status, "\(arguments): \(result.standardError)")
        #expect(!result.standardError.isEmpty)
    }

    @Test("minifltctl: 1 for a failed call, 64 for a usage error")
    func client() throws {
        let failed = try runProgram(
            Binaries.minifltctl.path,
            ["send", "--port", Binaries.uniquePortName("nobody"), "Hello"]
        )
        #expect(failed.status == 1)
        #expect(
            failed.standardError.hasPrefix("FilterConnectCommunicationPort failed (HRESULT = 0x80070002)"),
            "\(failed.standardError)"
        )
        #expect(try runProgram(Binaries.minifltctl.path, ["send", "--bogus"]).status == 64)
    }
}

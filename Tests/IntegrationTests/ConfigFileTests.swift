// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import Testing

/// minifltd's configuration file (`--config`, /etc/minifltd/minifltd.conf by default) and `--check-config`.
@Suite("The configuration file and --check-config")
struct ConfigFileTests {
    /// A configuration file holding `text`, removed at the end.
    struct File {
        let path: String
        init(_ text: String) throws {
            path =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("minifltd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test("the file's options apply: two connections at once, and uid 1000 admitted")
    func optionsApply() throws {
        let file = try File("# two clients, and uid 1000\nmax-connections = 2\n\nallow-user = 1000   # a comment\n")
        defer { file.remove() }
        let daemon = try Daemon(arguments: ["--config", file.path])
        let first = try FilterPort.connect(to: daemon.port)
        let second = try FilterPort.connect(to: daemon.port)
        first.close()
        second.close()
        let nobody = try runAsUser(1000, ["send", "--port", daemon.port, "Hello"])
        #expect(nobody.status == 0, "\(nobody.standardError)")
        #expect(daemon.terminate() == 0)
    }

    @Test("the command line wins over the file")
    func commandLineWins() throws {
        let file = try File("max-connections = 1\n")
        defer { file.remove() }
        let daemon = try Daemon(arguments: ["--config", file.path, "--max-connections", "3"])
        #expect(daemon.waitForLog("max connections 3"), "\(daemon.tail)")
        #expect(daemon.terminate() == 0)
    }

    static let badFiles: [(String, String)] = [
        (
            "port = \\MiniFltTest_x\nmax-conections = 2\n",
            ":2: max-conections: Unknown option '--max-conections'. Did you mean '--max-connections'?"
        ),
        ("max-connections = 0\n", ":1: max-connections: --max-connections must be at least 1"),
        ("\n# the descriptor\nsddl = D:P(A;;0x1;;;XY)\n", ":3: --sddl: SDDL error at character 14"),
        ("max-connections 2\n", ":1: 'max-connections 2' is not 'option = value'"),
        ("--max-connections = 2\n", ":1: name the option without dashes"),
    ]

    @Test(
        "a file that cannot be used: exit 2 with the file, the line and the option, from --check-config and at start",
        arguments: badFiles
    )
    func badFile(text: String, message: String) throws {
        let file = try File(text)
        defer { file.remove() }
        for extra in [["--check-config"], []] {
            let result = try runProgram(
                Binaries.minifltd.path,
                ["--config", file.path, "--port", Binaries.uniquePortName("badconfig")] + extra,
                within: .seconds(10)
            )
            #expect(result == 2, "\(extra)")
        }
        let checked = try runProgram(Binaries.minifltd.path, ["--config", file.path, "--check-config"])
        #expect(checked.standardError.contains(file.path + message), "\(checked.standardError)")
    }

    @Test("--check-config with a good file: exit 0 and a word, and no port is created")
    func checkGood() throws {
        let port = Binaries.uniquePortName("checked")
        let file = try File("port = \(port)\nmax-connections = 4\n")
        defer { file.remove() }
        let result = try runProgram(Binaries.minifltd.path, ["--config", file.path, "--check-config"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("minifltd: configuration OK (\(file.path)"), "\(result.standardOutput)")
        #expect(!isListening("@" + port.lowercased()))
    }

    @Test("a missing file named by --config: exit 2 saying so")
    func missingFile() throws {
        let result = try runProgram(Binaries.minifltd.path, ["--config", "/nonexistent/minifltd.conf"])
        #expect(result.status == 2)
        #expect(result.standardError.contains("/nonexistent/minifltd.conf: cannot read it"), "\(result.standardError)")
    }
}

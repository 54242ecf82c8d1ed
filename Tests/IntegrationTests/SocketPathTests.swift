// SPDX-License-Identifier: MIT
import Foundation
import MiniFltClient
import MiniFltTestSupport
import MiniFltWire
import Testing

/// `minifltd --socket-path`: the port on a socket file, reached by the path (or `unix:` and the path) from
/// minifltctl, the Swift client and libfltlib; the permission descriptor still decides.
@Suite("The port on a socket file (--socket-path)")
struct SocketPathTests {
    /// A fresh path in a folder every uid may enter (the socket's own mode is 0666).
    static func socketPath(_ tag: String) -> String {
        "/tmp/minifltd-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
    }

    @Test("minifltctl, the Swift client and libfltlib connect through the path; the file goes at SIGTERM")
    func reachedByPath() throws {
        let path = Self.socketPath("reached")
        let daemon = try Daemon(arguments: ["--socket-path", path, "--max-connections", "4"], listeningAt: path)
        var status = stat()
        #expect(lstat(path, &status) == 0 && status.st_mode & 0o777 == 0o666)
        for name in [path, "unix:" + path] {
            let sent = try runProgram(Binaries.minifltctl.path, ["send", "--port", name, "Hello"])
            #expect(sent.standardOutput == "Hello, User\n", "\(name): \(sent.standardError)")
        }
        let client = try FilterPort.connect(to: path)
        #expect(
            WideString.decode(try client.send(userToFilter("Hello"), outputCapacity: 4096), as: .utf16) == "Hello, User"
        )
        client.close()
        let fltlib = try FltLibTests.run("flt_send", ["--port", "unix:" + path, "Hello, MiniFilter"])
        #expect(fltlib.status == 0, "\(fltlib.standardError)")
        #expect(fltlib.standardOutput.contains("Hello, User"), "\(fltlib.standardOutput)")
        #expect(daemon.terminate() == 0)
        #expect(access(path, F_OK) != 0, "the socket file outlived the daemon")
    }

    @Test("a uid the descriptor denies gets 0x80070005 through the path too")
    func deniedByDescriptor() throws {
        let path = Self.socketPath("denied")
        let daemon = try Daemon(arguments: ["--socket-path", path], listeningAt: path)
        let denied = try runAsUser(65534, ["send", "--port", path, "Hello"])
        #expect(denied.status == 1)
        #expect(denied.standardError.contains("HRESULT = 0x80070005"), "\(denied.standardError)")
        #expect(daemon.terminate() == 0)
    }

    @Test("a stale socket file is replaced; a live one or a file that is not a socket is refused")
    func staleFiles() throws {
        let path = Self.socketPath("stale")
        // A socket file nobody listens on: what a killed daemon leaves.
        let killed = try Daemon(arguments: ["--socket-path", path], listeningAt: path)
        kill(killed.pid, SIGKILL)
        #expect(eventually { !killed.isRunning })
        #expect(access(path, F_OK) == 0)
        let daemon = try Daemon(arguments: ["--socket-path", path], listeningAt: path)
        #expect(try runProgram(Binaries.minifltctl.path, ["send", "--port", path, "Hello"]).status == 0)
        // A second daemon on the same path is refused while the first listens.
        let second = try runProgram(
            Binaries.minifltd.path,
            ["--port", Binaries.uniquePortName("second"), "--socket-path", path, "--log-target", "console"]
        )
        #expect(second.status == 1)
        #expect(second.standardError.contains("another process already listens on \(path)"), "\(second.standardError)")
        #expect(daemon.terminate() == 0)
        let plain = Self.socketPath("plain")
        try "not a socket\n".write(toFile: plain, atomically: false, encoding: .utf8)
        defer { unlink(plain) }
        let refused = try runProgram(
            Binaries.minifltd.path,
            ["--port", Binaries.uniquePortName("plain"), "--socket-path", plain, "--log-target", "console"]
        )
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("is not a socket; it was left alone"), "\(refused.standardError)")
        #expect(try String(contentsOfFile: plain, encoding: .utf8) == "not a socket\n")
    }
}

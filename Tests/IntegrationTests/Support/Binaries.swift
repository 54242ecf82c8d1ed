// SPDX-License-Identifier: MIT
import Foundation
import MiniFltTestSupport
import Testing

/// The built executables, found beside the test bundle (or where MINIFLTD_BIN_DIR says).
enum Binaries {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["MINIFLTD_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent()
    }

    static var minifltd: URL { directory.appendingPathComponent("minifltd") }
    static var minifltctl: URL { directory.appendingPathComponent("minifltctl") }
    static var minifltscan: URL { directory.appendingPathComponent("minifltscan") }

    /// A port name no other test uses.
    static func uniquePortName(_ tag: String) -> String {
        "\\MiniFltTest_\(tag)_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// A copy of `minifltctl` in a world-readable folder, so that a child dropped to another uid can run it
    /// wherever the build folder lives.
    static let minifltctlForOtherUsers = copyForOtherUsers(minifltctl)
    /// The same for `minifltd`.
    static let minifltdForOtherUsers = copyForOtherUsers(minifltd)

    private static func copyForOtherUsers(_ binary: URL) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("minifltd-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        chmod(folder.path, 0o755)
        let copy = folder.appendingPathComponent(binary.lastPathComponent)
        try? FileManager.default.removeItem(at: copy)
        try? FileManager.default.copyItem(at: binary, to: copy)
        chmod(copy.path, 0o755)
        return copy
    }
}

/// A finished child process.
struct ProcessResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs a program to completion and collects what it printed.
func runProgram(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String]? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self)
    )
}

/// Runs a program and waits at most `limit` for it; its exit status, or nil (and it is killed) when it
/// takes longer: a hang must fail the test, not stall the suite.
func runProgram(_ executable: String, _ arguments: [String], within limit: Duration) throws -> Int32? {
    let child = try ChildProcess(executable, arguments, mergeStandardOutput: true)
    _ = child.collectOutput()
    let status = child.exitStatus(within: limit)
    if status == nil {
        Issue.record("\(executable) \(arguments.joined(separator: " ")) did not finish within \(limit)")
    }
    return status
}

/// Runs `minifltctl` as another uid (and the same gid), through setpriv.
func runAsUser(_ uid: UInt32, _ arguments: [String]) throws -> ProcessResult {
    try runProgram(
        "/usr/bin/setpriv",
        ["--reuid", "\(uid)", "--regid", "\(uid)", "--clear-groups", Binaries.minifltctlForOtherUsers.path] + arguments
    )
}

/// libfltlib's C and C++ test programs (fltlib/tests), built against a staged install through pkg-config by
/// `make fltlib-tests`, which `make test` runs before the Swift tests. A bare `swift test` builds them here.
/// MINIFLT_FLTLIB_TEST_BIN names another folder of them, such as `make fltlib-sanitize`'s sanitized build.
enum FltLibPrograms {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let directory: Result<URL, FltLibBuildError> = {
        if let override = ProcessInfo.processInfo.environment["MINIFLT_FLTLIB_TEST_BIN"] {
            return .success(URL(fileURLWithPath: override))
        }
        let folder = packageRoot.appendingPathComponent(".build/fltlib-tests")
        let names = [
            "flt_send", "flt_threads", "flt_api", "flt_listen", "seed_client", "port_name_foldings", "flt_overlapped",
            "flt_descriptors", "flt_scan",
        ]
        if names.allSatisfy({ FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }) {
            return .success(folder)
        }
        let built = try? runProgram("/usr/bin/make", ["-C", packageRoot.path, "--no-print-directory", "fltlib-tests"])
        guard let built, built.status == 0 else {
            return .failure(
                FltLibBuildError(output: built.map { $0.standardOutput + $0.standardError } ?? "cannot run make")
            )
        }
        return .success(folder)
    }()

    /// The path of test program `name`; throws when they could not be built.
    static func path(_ name: String) throws -> String {
        try directory.get().appendingPathComponent(name).path
    }
}

struct FltLibBuildError: Error, CustomStringConvertible {
    var output: String
    var description: String { "make fltlib-tests failed:\n\(output)" }
}

// SPDX-License-Identifier: MIT
public import Foundation

/// Runs saved inputs through a target outside libFuzzer: the replay tool and the tests use it.
public enum FuzzReplay {
    /// The folder with `Corpus/` and `Regressions/`, found from this source file's place in the checkout.
    public static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every saved input of `target`: its seed corpus and the crashes kept as regressions.
    public static func savedInputs(of target: FuzzTarget) throws -> [URL] {
        try ["Corpus", "Regressions"].flatMap { folder in
            let directory = fuzzFolder.appending(path: "\(folder)/\(target.rawValue)")
            return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { !$0.lastPathComponent.hasPrefix(".") }
        }
        .sorted { $0.path < $1.path }
    }

    /// `minifltfuzz TARGET FILE...`.
    public static func main(_ arguments: [String]) throws {
        guard arguments.count >= 3, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: minifltfuzz \(names) FILE...\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst(2) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            target.run(bytes)
            print("\(path): ok")
        }
    }
}

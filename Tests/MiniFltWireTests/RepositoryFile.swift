// SPDX-License-Identifier: MIT
import Foundation

/// A file of this repository, found from this source file's path: the tests check the code against the vectors
/// and documents the repository ships.
enum RepositoryFile {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The UTF-8 text of `path`, relative to the repository's root.
    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }
}

// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// minifltd's configuration file, `/etc/minifltd/minifltd.conf` by default: one option a line, named as on
/// the command line without its dashes, `#` starting a comment:
///
///     # Let the scanner service in, and two clients at once.
///     allow-user = scanner
///     max-connections = 2
///
/// The file's options come first and the command line's after, so the command line wins (options that
/// repeat, such as `allow-user`, add up). A line that is not an option minifltd knows, with a value it
/// takes, stops the daemon with the file, the line and the key.
struct ConfigFile {
    struct Entry {
        var line: Int
        var key: String
        var value: String
    }

    static let defaultPath = "/etc/minifltd/minifltd.conf"

    let path: String
    let entries: [Entry]

    /// The arguments the file stands for, in its order.
    var arguments: [String] { entries.flatMap { ["--\($0.key)", $0.value] } }

    /// `path:line` of the last line that sets `key`.
    func location(of key: String) -> String? {
        entries.last { $0.key == key }.map { "\(path):\($0.line)" }
    }

    /// Reads and splits the file; a line without `=` or with an empty key is an error naming it.
    static func load(_ path: String) throws(ConfigFileError) -> ConfigFile {
        guard let file = fopen(path, "r") else {
            throw ConfigFileError("\(path): cannot read it: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var entries: [Entry] = []
        var number = 0
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while getline(&buffer, &capacity, file) >= 0, let buffer {
            number += 1
            var text = String(cString: buffer)
            if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
            let line = text.trimmingSpaces
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigFileError("\(path):\(number): '\(line)' is not 'option = value'")
            }
            let key = String(line[..<equals]).trimmingSpaces
            let value = String(line[line.index(after: equals)...]).trimmingSpaces
            guard !key.isEmpty, !key.hasPrefix("-") else {
                throw ConfigFileError("\(path):\(number): name the option without dashes, as 'max-connections = 2'")
            }
            entries.append(Entry(line: number, key: key, value: value))
        }
        return ConfigFile(path: path, entries: entries)
    }

    /// The file `--config` names in `arguments`, else the default one when it exists.
    static func path(in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--config", index + 1 < arguments.count { return arguments[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return access(defaultPath, F_OK) == 0 ? defaultPath : nil
    }
}

/// A configuration file that cannot be used, said with its file and line.
struct ConfigFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    /// Without leading and trailing spaces and tabs (and the line's newline).
    fileprivate var trimmingSpaces: String {
        let blank: Set<Character> = [" ", "\t", "\n", "\r"]
        return String(drop { blank.contains($0) }.reversed().drop { blank.contains($0) }.reversed())
    }
}

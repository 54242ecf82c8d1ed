// SPDX-License-Identifier: MIT
import Logging
import MiniFltFilter
import MiniFltLogging
import MiniFltPosix
import MiniFltServer
import Synchronization

/// What SIGHUP does: reads the configuration file and the command line again, applies what a running
/// daemon can change, and says what changed and what needs a restart.
///
/// Applied at once: the permission descriptor (`sddl`, `allow-user`, `allow-group`) and the limits
/// `max-connections` and `max-pending-handshakes`, for connections accepted from now on (``ServerPortUpdate``),
/// and `log-level`. Every other option needs a restart: the port's address, the watched paths, the sizes and
/// timeouts each connection took when it was accepted. A file that does not parse, or a value that cannot
/// be used, is reported with its file, line and option, and the daemon keeps its running configuration.
final class Reload: Sendable {
    /// The options that a reload applies.
    static let live: Set<String> = [
        "sddl", "allow-user", "allow-group", "max-connections", "max-pending-handshakes", "log-level",
    ]

    private let port: ServerPort
    private let level: LogLevelSwitch
    private let filter: MiniFilter?
    /// The options as last read, `option: value` in the command line's spelling.
    private let options: StateLock<[String: String]>

    init(options: Minifltd, port: ServerPort, level: LogLevelSwitch, filter: MiniFilter?) {
        self.port = port
        self.level = level
        self.filter = filter
        self.options = StateLock(options.optionValues)
    }

    /// Reloads; returns the level and words of the log line.
    func reload(arguments: [String]) -> (Logger.Level, String) {
        var flushed = ""
        if let filter {
            filter.flushCache()
            flushed = "; flushed the decision cache of watched opens"
        }
        let new: Minifltd
        let configuration: ServerPortConfiguration
        do {
            new = try Minifltd.parse(arguments: arguments)
            configuration = try new.portConfiguration()
        } catch {
            let reason = Minifltd.locate(error, arguments: arguments)
            return (.error, "reload failed: \(reason); keeping the running configuration\(flushed)")
        }
        let values = new.optionValues
        let old = options.withLock { $0 }
        let changed = values.keys.sorted().filter { old[$0] != values[$0] }
        let applied = changed.filter { Reload.live.contains($0) }
        let restart = changed.filter { !Reload.live.contains($0) }
        port.update(ServerPortUpdate(from: port.configuration, to: configuration))
        level.set(new.logLevel)
        // What needs a restart stays as it runs, so a later reload still reports it.
        options.withLock { current in
            for key in applied { current[key] = values[key] }
        }
        let source = ConfigFile.path(in: arguments).map { " (\($0))" } ?? ""
        var words = "reloaded the configuration\(source)"
        if applied.isEmpty && restart.isEmpty { words += ": nothing changed" }
        if !applied.isEmpty {
            words +=
                "; applied: "
                + applied.map { "\($0) \(Reload.show(old[$0])) -> \(Reload.show(values[$0]))" }.joined(separator: ", ")
            if applied.contains(where: { ["sddl", "allow-user", "allow-group"].contains($0) }) {
                words += " (permission descriptor now \(configuration.permissions), for new connections)"
            }
        }
        if !restart.isEmpty {
            words +=
                "; needs a restart (runs as before): "
                + restart.map { "\($0) \(Reload.show(old[$0])) -> \(Reload.show(values[$0]))" }.joined(separator: ", ")
        }
        return (.notice, words + flushed)
    }

    private static func show(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "(none)" }
        return value
    }
}

// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltClient
import MiniFltWire

#if canImport(Glibc)
import Glibc
#endif

/// `minifltctl ports`: the listening abstract Unix sockets of this network namespace, from /proc/net/unix,
/// with the ones whose address has a minifltd port's form (`@\name`) marked.
struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the minifltd ports listening on this machine (this network namespace).",
        discussion: """
            A minifltd port listens on @\\<name in lowercase>; its management port ends in .control. With \
            --probe, each is connected to and marked "minifltd" when it answers CONNECT as minifltd does \
            (accepted, or refused with an HRESULT). Probing connects as a client: do not probe the port of \
            a daemon that watches opens unless you mean to be its client for that moment.
            """
    )

    @Flag(help: "Connect to each port to see whether it answers as minifltd.")
    var probe = false

    @Flag(help: "List every listening abstract socket, not only those of a minifltd port's form.")
    var all = false

    func run() throws {
        guard let file = fopen("/proc/net/unix", "r") else {
            throw ValidationError("cannot read /proc/net/unix: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var addresses: [String] = []
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while getline(&buffer, &capacity, file) >= 0, let buffer {
            // Num RefCount Protocol Flags Type St Inode Path: a listener has flags 00010000 (SO_ACCEPTCON).
            let fields = String(cString: buffer).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[3] == "00010000", fields[4] == "0001" else { continue }
            let path = fields[7...].joined(separator: " ").trimmingCharacters(in: "\n")
            guard path.hasPrefix("@"), all || path.hasPrefix("@\\") else { continue }
            if !addresses.contains(path) { addresses.append(path) }
        }
        for address in addresses.sorted() {
            let role = address.hasSuffix(".control") ? "control" : "port"
            var line = "\(address)\t\(role)"
            if probe, address.hasPrefix("@\\") { line += "\t" + Ports.probe(String(address.dropFirst())) }
            print(line)
        }
    }

    /// Connects as a client: "minifltd" when CONNECT is answered, either way.
    private static func probe(_ name: String) -> String {
        var options = ConnectOptions()
        options.handshakeTimeout = .seconds(1)
        do {
            let client = try FilterPort.connect(to: name, options: options)
            client.close()
            return "minifltd (admits this user)"
        } catch {
            switch error.hresult {
            case .accessDenied: return "minifltd (denies this user)"
            case HResult(rawValue: 0x8007_04D6): return "minifltd (full)"
            default: return "no minifltd answer (\(error.hresult.hex))"
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(self.reversed().drop { $0 == set }.reversed())
    }
}

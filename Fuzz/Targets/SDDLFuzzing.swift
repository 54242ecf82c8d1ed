// SPDX-License-Identifier: MIT
import MiniFltPermissions

/// The SDDL parser against any text (`--sddl` is an outsider's input at start-up).
///
/// Checked: parsing never traps; an error's position lies within the text (or just past its end); a
/// descriptor that parses prints as SDDL that parses to the same descriptor, which grants the same peers.
public enum SDDLFuzzing {
    static let peers: [PeerIdentity] = [
        PeerIdentity(pid: 1, uid: 0, gid: 0),
        PeerIdentity(pid: 2, uid: 1000, gid: 1000, groups: [27, 100]),
        PeerIdentity(pid: 3, uid: 65534, gid: 65534),
        PeerIdentity(pid: 4, uid: 1, gid: 4_294_967_295),
    ]

    public static func run(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        let descriptor: PermissionDescriptor
        do {
            descriptor = try PermissionDescriptor(sddl: text)
        } catch {
            invariant(
                error.position >= 1 && error.position <= text.count + 1,
                "position \(error.position) of \(text.count) characters"
            )
            _ = error.description
            return
        }
        let printed = descriptor.description
        let reparsed: PermissionDescriptor
        do {
            reparsed = try PermissionDescriptor(sddl: printed)
        } catch {
            return invariant(
                false,
                "\(text.debugDescription) printed as \(printed.debugDescription), which does not parse: \(error)"
            )
        }
        invariant(
            reparsed == descriptor,
            "\(text.debugDescription) printed as \(printed.debugDescription) parses to \(reparsed)"
        )
        for peer in peers {
            for mask: AccessMask in [.connect, .portAllAccess] {
                invariant(
                    descriptor.grants(mask, to: peer) == reparsed.grants(mask, to: peer),
                    "\(printed) grants differently after printing"
                )
            }
        }
    }
}

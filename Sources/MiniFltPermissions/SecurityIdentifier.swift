// SPDX-License-Identifier: MIT
/// The SIDs a permission descriptor can name on Linux, and the peers each one matches.
public enum SecurityIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// `SY`, LocalSystem (S-1-5-18): effective uid 0.
    case localSystem
    /// `BA`, BUILTIN\Administrators (S-1-5-32-544): effective uid 0.
    case builtinAdministrators
    /// `WD`, Everyone (S-1-1-0): any peer, including one from another user namespace.
    case everyone
    /// `S-1-22-1-N`, the Unix user N (Samba's form).
    case unixUser(UInt32)
    /// `S-1-22-2-N`, the Unix group N (Samba's form), primary or supplementary.
    case unixGroup(UInt32)

    /// Whether `peer` is, or belongs to, this SID.
    ///
    /// The overflow ids that a peer from another user namespace shows never match a uid or gid SID.
    public func matches(_ peer: PeerIdentity) -> Bool {
        switch self {
        case .localSystem, .builtinAdministrators: peer.uid == 0
        case .everyone: true
        case .unixUser(let uid): uid != peer.overflowUID && peer.uid == uid
        case .unixGroup(let gid): gid != peer.overflowGID && (peer.gid == gid || peer.groups.contains(gid))
        }
    }

    /// The SDDL spelling: an alias where SDDL has one, else the S-1-22 form.
    public var description: String {
        switch self {
        case .localSystem: "SY"
        case .builtinAdministrators: "BA"
        case .everyone: "WD"
        case .unixUser(let uid): "S-1-22-1-\(uid)"
        case .unixGroup(let gid): "S-1-22-2-\(gid)"
        }
    }
}

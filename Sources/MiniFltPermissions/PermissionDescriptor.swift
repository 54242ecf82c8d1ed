// SPDX-License-Identifier: MIT
/// A port's security descriptor, reduced to the DACL that decides who may connect.
///
/// Mirrors the `SecurityDescriptor` of `FltCreateCommunicationPort`. Written in SDDL as on Windows; see
/// ``init(sddl:)`` for the subset understood here and ``grants(_:to:)`` for how it is evaluated.
public struct PermissionDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// The DACL; nil is a NULL DACL, which lets everyone in (Windows semantics). An empty DACL lets nobody in.
    public var dacl: [AccessControlEntry]?
    /// Whether the DACL is protected (`P`): kept for printing only, since a port inherits nothing.
    public var isProtected: Bool

    public init(dacl: [AccessControlEntry]?, isProtected: Bool = true) {
        self.dacl = dacl
        self.isProtected = isProtected
    }

    /// What `FltBuildDefaultSecurityDescriptor(FLT_PORT_ALL_ACCESS)` gives:
    /// `D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)`, administrators and the system only.
    public static let filterPortDefault = PermissionDescriptor(
        dacl: [
            AccessControlEntry(kind: .allow, mask: .portAllAccess, sid: .localSystem),
            AccessControlEntry(kind: .allow, mask: .portAllAccess, sid: .builtinAdministrators),
        ]
    )

    /// True for a NULL DACL, which admits everyone: worth a warning at start.
    public var admitsEveryone: Bool { dacl == nil }

    /// Whether every right in `requested` is granted to `peer`.
    ///
    /// As Windows evaluates a DACL: ACEs in order; a matching deny ACE that covers a requested right not yet
    /// granted denies; matching allow ACEs grant; access is granted once every requested right is; default deny.
    public func grants(_ requested: AccessMask = .connect, to peer: PeerIdentity) -> Bool {
        guard let dacl else { return true }
        var granted: AccessMask = []
        for ace in dacl where !ace.isInheritOnly && ace.sid.matches(peer) {
            let pending = requested.subtracting(granted)
            switch ace.kind {
            case .deny:
                if !ace.mask.intersection(pending).isEmpty { return false }
            case .allow:
                granted.formUnion(ace.mask.intersection(pending))
                if granted.isSuperset(of: requested) { return true }
            }
        }
        return false
    }

    /// The descriptor with allow ACEs for `sids` added at the end of the DACL (a NULL DACL stays NULL: it
    /// already admits everyone).
    public func allowing(_ sids: [SecurityIdentifier], mask: AccessMask = .portAllAccess) -> PermissionDescriptor {
        guard var dacl else { return self }
        dacl += sids.map { AccessControlEntry(kind: .allow, mask: mask, sid: $0) }
        return PermissionDescriptor(dacl: dacl, isProtected: isProtected)
    }

    /// The descriptor in SDDL. A protected NULL DACL keeps its `P` (`D:PNO_ACCESS_CONTROL`), so that the text
    /// parses back to this descriptor.
    public var description: String {
        "D:" + (isProtected ? "P" : "") + (dacl.map { $0.map(\.description).joined() } ?? "NO_ACCESS_CONTROL")
    }
}

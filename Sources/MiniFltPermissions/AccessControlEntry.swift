// SPDX-License-Identifier: MIT
/// One ACE of a permission descriptor's DACL.
public struct AccessControlEntry: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// `A`: grants the rights of its mask.
        case allow
        /// `D`: refuses the rights of its mask that were not granted by an earlier ACE.
        case deny
    }

    public var kind: Kind
    /// The rights, generic rights already mapped (see ``AccessMask/mappingGenericRights``).
    public var mask: AccessMask
    public var sid: SecurityIdentifier
    /// The ACE's flags as written (`OI`, `CI`, `IO`, ...): kept for printing; only `IO` changes evaluation.
    public var flags: String

    public init(kind: Kind, mask: AccessMask, sid: SecurityIdentifier, flags: String = "") {
        self.kind = kind
        self.mask = mask.mappingGenericRights
        self.sid = sid
        self.flags = flags
    }

    /// An inherit-only ACE applies to children, and a port has none: it is skipped.
    public var isInheritOnly: Bool {
        stride(from: 0, to: flags.count - 1, by: 2).contains { offset in
            let start = flags.index(flags.startIndex, offsetBy: offset)
            return flags[start..<flags.index(start, offsetBy: 2)] == "IO"
        }
    }

    /// The ACE in SDDL: `(A;;0x1F0001;;;SY)`.
    public var description: String { "(\(kind == .allow ? "A" : "D");\(flags);\(mask);;;\(sid))" }
}

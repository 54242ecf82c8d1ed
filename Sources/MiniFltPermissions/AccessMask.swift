// SPDX-License-Identifier: MIT
/// An access mask: which rights an ACE grants or denies.
public struct AccessMask: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `FLT_PORT_CONNECT` (0x0001): what connecting to a port needs.
    public static let connect = AccessMask(rawValue: 0x0000_0001)
    /// `STANDARD_RIGHTS_READ` (`READ_CONTROL`, 0x00020000).
    public static let standardRead = AccessMask(rawValue: 0x0002_0000)
    /// `FLT_PORT_ALL_ACCESS` (0x001F0001): `FLT_PORT_CONNECT | STANDARD_RIGHTS_ALL`.
    public static let portAllAccess = AccessMask(rawValue: 0x001F_0001)

    /// `GENERIC_ALL`, `GENERIC_EXECUTE`, `GENERIC_WRITE` and `GENERIC_READ`.
    static let genericAll: UInt32 = 0x1000_0000
    static let genericExecute: UInt32 = 0x2000_0000
    static let genericWrite: UInt32 = 0x4000_0000
    static let genericRead: UInt32 = 0x8000_0000

    /// Replaces generic rights by the port's specific ones, as `RtlMapGenericMask` does with the port's
    /// generic mapping. minifltd's mapping: `GENERIC_ALL` is `FLT_PORT_ALL_ACCESS`; `GENERIC_READ`,
    /// `GENERIC_WRITE` and `GENERIC_EXECUTE` are each `FLT_PORT_CONNECT | STANDARD_RIGHTS_READ`, since connecting
    /// is the only thing a port's user does.
    public var mappingGenericRights: AccessMask {
        var mapped = rawValue & 0x0FFF_FFFF
        if rawValue & AccessMask.genericAll != 0 { mapped |= AccessMask.portAllAccess.rawValue }
        if rawValue & (AccessMask.genericRead | AccessMask.genericWrite | AccessMask.genericExecute) != 0 {
            mapped |= AccessMask.connect.rawValue | AccessMask.standardRead.rawValue
        }
        return AccessMask(rawValue: mapped)
    }

    /// `0x1F0001`, as SDDL writes it.
    public var description: String { "0x" + String(rawValue, radix: 16, uppercase: true) }
}

// SPDX-License-Identifier: MIT
/// Who is at the other end of a socket, as the kernel says (SO_PEERCRED and SO_PEERGROUPS).
public struct PeerIdentity: Hashable, Sendable {
    /// The peer's process id as of connect().
    public var pid: Int32
    /// The peer's effective uid as of connect().
    public var uid: UInt32
    /// The peer's effective gid as of connect().
    public var gid: UInt32
    /// The peer's supplementary groups.
    public var groups: [UInt32]
    /// The uid that stands for "unmapped" (a peer from another user namespace): never matches a uid SID.
    public var overflowUID: UInt32
    /// The gid that stands for "unmapped": never matches a gid SID.
    public var overflowGID: UInt32

    public init(
        pid: Int32,
        uid: UInt32,
        gid: UInt32,
        groups: [UInt32] = [],
        overflowUID: UInt32 = 65534,
        overflowGID: UInt32 = 65534
    ) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.overflowUID = overflowUID
        self.overflowGID = overflowGID
    }
}

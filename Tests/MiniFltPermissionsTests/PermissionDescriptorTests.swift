// SPDX-License-Identifier: MIT
import MiniFltPermissions
import Testing

@Suite("Permission descriptor")
struct PermissionDescriptorTests {
    static let root = PeerIdentity(pid: 1, uid: 0, gid: 0)
    static let alice = PeerIdentity(pid: 2, uid: 1000, gid: 1000, groups: [27])
    static let nobody = PeerIdentity(pid: 3, uid: 65534, gid: 65534)

    /// (SDDL, peer, admitted)
    static let cases: [(String, PeerIdentity, Bool)] = [
        ("D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)", root, true),
        ("D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)", alice, false),
        ("D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)", nobody, false),
        ("D:P(A;;GA;;;WD)", nobody, true),
        ("D:P(A;;0x1;;;S-1-22-1-1000)", alice, true),
        ("D:P(A;;0x1;;;S-1-22-1-1001)", alice, false),
        ("D:P(A;;0x1;;;S-1-22-2-1000)", alice, true),
        ("D:P(A;;0x1;;;S-1-22-2-27)", alice, true),
        ("D:P(A;;0x1;;;S-1-22-2-28)", alice, false),
        // Deny before allow wins; allow before deny wins (the right is already granted).
        ("D:P(D;;0x1;;;S-1-22-1-1000)(A;;GA;;;WD)", alice, false),
        ("D:P(A;;GA;;;WD)(D;;0x1;;;S-1-22-1-1000)", alice, true),
        // A deny that does not cover FLT_PORT_CONNECT denies nothing here.
        ("D:P(D;;0x10000;;;WD)(A;;0x1;;;WD)", alice, true),
        // An allow without FLT_PORT_CONNECT grants nothing.
        ("D:P(A;;0x1F0000;;;WD)", alice, false),
        // Inherit-only ACEs do not apply to the port itself.
        ("D:P(A;IO;GA;;;WD)", alice, false),
        // Empty DACL: nobody. No D: part: NULL DACL, everyone.
        ("D:P", root, false),
        ("O:SYG:SY", nobody, true),
        ("D:NO_ACCESS_CONTROL", nobody, true),
        // The overflow ids never match a uid or gid SID, only Everyone.
        ("D:P(A;;GA;;;S-1-22-1-65534)", nobody, false),
        ("D:P(A;;GA;;;S-1-22-2-65534)", nobody, false),
        // Generic rights map to FLT_PORT_CONNECT; numeric aliases of the well-known SIDs.
        ("D:(A;;GR;;;S-1-5-18)", root, true),
        ("D:(A;;0x10000000;;;S-1-5-32-544)", root, true),
        ("D:(A;;CC;;;S-1-1-0)", alice, true),
        ("D:P(A;OICI;0x1F0001;;;S-1-22-1-1000) (A;;GA;;;SY)", alice, true),
    ]

    @Test("evaluation, as Windows does it", arguments: cases)
    func evaluation(sddl: String, peer: PeerIdentity, admitted: Bool) throws {
        let descriptor = try PermissionDescriptor(sddl: sddl)
        #expect(descriptor.grants(.connect, to: peer) == admitted, "\(sddl) for uid \(peer.uid)")
    }

    @Test("the default is FltBuildDefaultSecurityDescriptor's")
    func defaultDescriptor() throws {
        #expect(try PermissionDescriptor(sddl: "D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)") == .filterPortDefault)
        #expect(PermissionDescriptor.filterPortDefault.description == "D:P(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)")
    }

    @Test("allow ACEs from --allow-user go after the existing ones; a NULL DACL stays NULL")
    func allowing() throws {
        let extended = PermissionDescriptor.filterPortDefault.allowing([.unixUser(1000)])
        #expect(extended.grants(.connect, to: Self.alice))
        let denyFirst = try PermissionDescriptor(sddl: "D:P(D;;GA;;;S-1-22-1-1000)").allowing([.unixUser(1000)])
        #expect(!denyFirst.grants(.connect, to: Self.alice))
        #expect(try PermissionDescriptor(sddl: "O:SY").allowing([.unixUser(1)]).admitsEveryone)
    }

    /// (SDDL, 1-based position of the error, a word the reason must contain)
    static let errors: [(String, Int, String)] = [
        ("", 1, "empty"),
        ("X:", 1, "expected O:, G:, D: or S:"),
        ("D:P(A;;0x1F0001;;;XX)", 19, "SID 'XX'"),
        ("D:P(Q;;0x1;;;SY)", 5, "ACE type 'Q'"),
        ("D:P(A;;0xZZ;;;SY)", 8, "hex"),
        ("D:P(A;;;;;SY)", 8, "empty access rights"),
        ("D:P(A;;0x1;;;SY", 16, "')'"),
        ("D:P(A;;0x1;;;S-1-22-1-abc)", 23, "Unix id"),
        ("D:P(A;ZZ;0x1;;;SY)", 7, "ACE flag"),
        ("D:P(A;;0x1;;;SY)D:P", 17, "second D:"),
        ("D:P(A;;0x1;", 12, "ends early"),
        ("D:NO_ACCESS_CONTROL(A;;GA;;;WD)", 32, "NO_ACCESS_CONTROL"),
    ]

    @Test("errors name their position", arguments: errors)
    func parseErrors(sddl: String, position: Int, reason: String) {
        do {
            _ = try PermissionDescriptor(sddl: sddl)
            Issue.record("'\(sddl)' parsed")
        } catch {
            #expect(error.position == position, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.contains("at character \(position)"))
        }
    }
}

// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// Resolves `--allow-user` and `--allow-group` arguments (a name, or a number) to ids at start-up.
enum AccountLookup {
    static func uid(of user: String) -> UInt32? {
        if let uid = UInt32(user) { return uid }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwnam_r(user, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    static func gid(of group: String) -> UInt32? {
        if let gid = UInt32(group) { return gid }
        var entry = group_entry()
        var result: UnsafeMutablePointer<group_entry>?
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        guard getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    private typealias group_entry = Glibc.group
}

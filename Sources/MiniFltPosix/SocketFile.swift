// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// A port on a socket file instead of an abstract address (docs/protocol.md section 1), for runtimes that
/// pad abstract addresses (Node.js), have none (Java before 16), or live in another network namespace (a
/// container the file is bind-mounted into). The peer-credential checks are the same as for an abstract
/// socket: SO_PEERCRED and SO_PEERGROUPS work on both.
package enum SocketFile {
    /// Why a socket file cannot be listened on.
    package enum ListenError: Error {
        /// A process accepts connections there.
        case inUse
        /// The path holds something that is not a socket; it is left alone.
        case notASocket
        case system(SystemError)
    }

    /// A non-blocking listening socket at `path`, mode `mode`. A socket file nobody listens on (left by a
    /// process that died) is replaced; one somebody listens on, or a file that is not a socket, is refused.
    /// Returns the descriptor and the file's inode, so that the owner removes only its own file at stop.
    package static func listen(
        at path: String,
        mode: UInt32,
        backlog: Int32 = 128
    ) throws(ListenError) -> (
        fd: Int32, inode: UInt64
    ) {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket }
            if let fd = try? connect(to: path) {
                closeDescriptor(fd)
                throw .inUse
            }
            unlink(path)
        }
        do throws(SystemError) {
            let fd = try syscall("socket") {
                socket(
                    AF_UNIX,
                    Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                    0
                )
            }
            do throws(SystemError) {
                _ = try syscall("bind") { CMiniFltPosix_bind_path(fd, path) }
                _ = try syscall("chmod") { chmod(path, mode_t(mode)) }
                _ = try syscall("listen") { Glibc.listen(fd, backlog) }
                _ = try syscall("stat") { lstat(path, &status) }
            } catch {
                closeDescriptor(fd)
                throw error
            }
            return (fd, UInt64(status.st_ino))
        } catch {
            throw .system(error)
        }
    }

    /// A blocking stream socket connected to the socket file at `path`.
    package static func connect(to path: String) throws(SystemError) -> Int32 {
        let fd = try syscall("socket") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            _ = try syscall("connect") { CMiniFltPosix_connect_path(fd, path) }
        } catch {
            closeDescriptor(fd)
            throw error
        }
        return fd
    }

    /// Removes the socket file at `path` if it is still the one with `inode` (a successor's stays).
    package static func remove(_ path: String, inode: UInt64) {
        var status = stat()
        if lstat(path, &status) == 0, UInt64(status.st_ino) == inode { unlink(path) }
    }
}

// SPDX-License-Identifier: MIT
import Glibc
import Synchronization

/// Open file descriptors that travel with a message (docs/protocol.md section 12), and the duty to close them.
///
/// Whoever holds the object owns the descriptors: they are closed when the last reference goes, unless someone
/// called ``take()`` first (then the caller closes them) or ``close()``. So a descriptor received with a frame
/// can never leak: a SEND answered before its routine ran, a REPLY nobody waits for, a connection that ends all
/// just drop the object. No Windows original: a minifilter passes handles in other ways (a section handle made
/// in the service's process).
///
/// # Thread safety
/// The descriptors live behind a lock: ``take()`` and ``close()`` from any thread happen once. A descriptor read
/// from ``descriptors`` stays valid while the object lives and nobody takes or closes it.
public final class PassedDescriptors: Sendable, Hashable, CustomStringConvertible {
    /// The most descriptors one frame carries (SCM_MAX_FD).
    public static let maximumPerFrame = 253

    private let held: Mutex<[Int32]>
    /// Told how many descriptors went, once they are closed or taken (the server's per-connection count).
    private let onRelease: (@Sendable (Int) -> Void)?

    /// Takes ownership of `descriptors`: this object closes them.
    public convenience init(taking descriptors: [Int32]) {
        self.init(taking: descriptors, onRelease: nil)
    }

    package init(taking descriptors: [Int32], onRelease: (@Sendable (Int) -> Void)?) {
        self.held = Mutex(descriptors)
        self.onRelease = onRelease
    }

    /// Close-on-exec duplicates of `descriptors`, which the caller keeps; nil (with nothing left open) when one
    /// cannot be duplicated (EBADF, EMFILE).
    public static func duplicating(_ descriptors: [Int32]) -> PassedDescriptors? {
        var copies: [Int32] = []
        for descriptor in descriptors {
            let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
            guard copy >= 0 else {
                for made in copies { _ = Glibc.close(made) }
                return nil
            }
            copies.append(copy)
        }
        return PassedDescriptors(taking: copies)
    }

    /// The descriptors still held, in the order they were sent; empty once taken or closed. Borrowed: do not
    /// close them.
    public var descriptors: [Int32] { held.withLock { $0 } }

    /// How many descriptors are still held.
    public var count: Int { held.withLock { $0.count } }

    /// Hands the descriptors to the caller, who closes them from now on; this object then holds none.
    public func take() -> [Int32] {
        let taken = held.withLock { held in
            defer { held = [] }
            return held
        }
        if !taken.isEmpty { onRelease?(taken.count) }
        return taken
    }

    /// Closes the descriptors now rather than when the object goes.
    public func close() {
        for descriptor in take() { _ = Glibc.close(descriptor) }
    }

    deinit { close() }

    public static func == (lhs: PassedDescriptors, rhs: PassedDescriptors) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
    public var description: String { "descriptors \(descriptors)" }
}

// SPDX-License-Identifier: MIT
import MiniFltPosix

/// The descriptors a client received and no frame has taken yet, oldest first, with a mark after the
/// descriptors of each read the kernel cut off (MSG_CTRUNC: the process was at RLIMIT_NOFILE).
///
/// docs/protocol.md section 12, "Reading": each read's descriptors belong to the one frame that starts in it
/// and announces descriptors, so each frame's set lies whole at the front of the queue when the frame is
/// complete. A cut set is shorter than its frame's count and ends with the mark: the frame stops at the mark
/// and takes it, so later frames never get its descriptors, nor it theirs.
struct ReceivedDescriptors {
    private enum Entry {
        case descriptor(Int32)
        /// The kernel cut off the descriptors of the read whose descriptors come before.
        case cut
    }

    /// What a frame took.
    enum Taken {
        /// Its descriptors, now the caller's.
        case whole([Int32])
        /// The kernel cut them off; those that came are closed.
        case cut
        /// Fewer came than it announced, and nothing says the kernel cut them: a violation.
        case missing(received: Int)
    }

    private var entries: [Entry] = []

    /// The entries waiting, marks included: the partial frame must be able to take them all.
    var count: Int { entries.count }

    /// Adds a read's descriptors, and a mark when the kernel cut some off.
    mutating func append(_ descriptors: [Int32], cutByKernel: Bool) {
        entries += descriptors.map(Entry.descriptor)
        if cutByKernel { entries.append(.cut) }
    }

    /// Takes the set of a frame that announced `announced` descriptors off the front.
    mutating func take(_ announced: Int) -> Taken {
        var found: [Int32] = []
        for entry in entries.prefix(announced) {
            guard case .descriptor(let descriptor) = entry else { break }
            found.append(descriptor)
        }
        if found.count == announced {
            entries.removeFirst(announced)
            return .whole(found)
        }
        guard found.count < entries.count else { return .missing(received: entries.count) }
        entries.removeFirst(found.count + 1)
        for descriptor in found { closeDescriptor(descriptor) }
        return .cut
    }

    /// Closes every descriptor waiting (the connection ended).
    mutating func closeAll() {
        for case .descriptor(let descriptor) in entries { closeDescriptor(descriptor) }
        entries = []
    }
}

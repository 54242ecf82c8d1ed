// SPDX-License-Identifier: MIT
import CMiniFltPosix

#if canImport(Glibc)
import Glibc
#endif

/// The reader's memory, allocated once: the slots a fanotify read fills and the buffer an event's path is
/// read into. Each is a page or more, beyond what Swift keeps on the stack, so temporary buffers would cost
/// every open two trips to the heap. Only the thread holding ``MiniFilter``'s `reading` lock touches it.
final class ReadScratch {
    let events = UnsafeMutableBufferPointer<CMiniFltPosix_FileEvent>.allocate(
        capacity: Int(CMiniFltPosix_FANOTIFY_READ_EVENTS)
    )
    let path = UnsafeMutableBufferPointer<CChar>.allocate(capacity: Int(PATH_MAX))

    deinit {
        events.deallocate()
        path.deallocate()
    }
}

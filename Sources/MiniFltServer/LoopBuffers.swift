import CMiniFltPosix

/// A loop thread's own buffers: its epoll event array and the buffer it reads sockets into.
///
/// # Thread safety
/// Used by the one thread that made it.
final class LoopBuffers {
    var events = [CMiniFltPosix_EpollEvent](repeating: CMiniFltPosix_EpollEvent(), count: 16)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    deinit { scratch.deallocate() }
}

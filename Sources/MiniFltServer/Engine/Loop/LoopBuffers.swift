// SPDX-License-Identifier: MIT
import CMiniFltPosix

/// A loop thread's own buffers: its epoll event array, the buffer it reads sockets into, and its lane of
/// routine work (``RoutineRunner/Lane``).
///
/// # Thread safety
/// Used by the one thread that made it.
final class LoopBuffers {
    var events = [CMiniFltPosix_EpollEvent](repeating: CMiniFltPosix_EpollEvent(), count: 16)
    /// Room for a 64 KiB message and its headers in one read, so that such a frame is decoded in place,
    /// not copied piecewise into the connection's decoder.
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    let lane = RoutineRunner.Lane()

    deinit { scratch.deallocate() }
}

// SPDX-License-Identifier: MIT
import CMiniFltPosix

/// glibc malloc's policy for large blocks, which a server sets once at start.
package enum MallocTuning {
    /// Serves every allocation up to `largestMessage` (and the decoder buffer that grows around it) from the
    /// heap, and keeps up to as much again of freed memory at the top of each arena instead of returning it.
    ///
    /// glibc's defaults move with the program: blocks over a threshold that starts at 128 KiB are mapped and
    /// unmapped one by one, and the top of the heap is given back past another. A port that receives 64 KiB
    /// messages from several clients then paid for fresh pages on most messages: measured here, 8 clients
    /// flipped between 57,000 and 31,000 round trips a second from run to run, a third of the time in page
    /// faults. Fixed thresholds keep it at the fast mode. The top kept is one threshold, not four: it is the
    /// one part of a thread's arena that ``returnFreedMemory()`` cannot give back, and with four (16 MiB) a
    /// burst could leave the daemon at twice its idle size; 64 KiB messages ran as fast with either.
    /// - Returns: false if glibc refused (the defaults then stay).
    @discardableResult
    package static func keepFreedMemory(forMessagesUpTo largestMessage: Int) -> Bool {
        let threshold = min(32 << 20, max(4 << 20, 2 * largestMessage + (1 << 20)))
        return CMiniFltPosix_set_malloc_thresholds(threshold, threshold) == 0
    }

    /// Gives the free pages of every arena back to the kernel (`malloc_trim(0)`), except the free top of the
    /// arenas of threads other than the main one, which glibc trims only past the trim threshold.
    ///
    /// The trim threshold only ever shortens the top of an arena: memory freed below a block still in use
    /// stays. After 200 clients each sent six 1 MiB messages, the daemon's RSS stayed at 146 to 292 MiB, nearly
    /// all of it freed memory in its I/O thread's arena, against 15 MiB idle. The next burst pays for fresh
    /// pages again, so call this when large buffers stop coming, not while they flow.
    package static func returnFreedMemory() {
        _ = CMiniFltPosix_trim_malloc()
    }
}

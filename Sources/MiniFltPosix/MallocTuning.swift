import CMiniFltPosix

/// glibc malloc's policy for large blocks, which a server sets once at start.
package enum MallocTuning {
    /// Serves every allocation up to `largestMessage` (and the decoder buffer that grows around it) from the
    /// heap, and keeps up to four times that of freed memory instead of returning it to the kernel.
    ///
    /// glibc's defaults move with the program: blocks over a threshold that starts at 128 KiB are mapped and
    /// unmapped one by one, and the top of the heap is given back past another. A port that receives 64 KiB
    /// messages from several clients then paid for fresh pages on most messages: measured here, 8 clients
    /// flipped between 57,000 and 31,000 round trips a second from run to run, a third of the time in page
    /// faults. Fixed thresholds keep it at the fast mode, for at most `4 × threshold` of retained memory.
    /// - Returns: false if glibc refused (the defaults then stay).
    @discardableResult
    package static func keepFreedMemory(forMessagesUpTo largestMessage: Int) -> Bool {
        let threshold = min(32 << 20, max(4 << 20, 2 * largestMessage + (1 << 20)))
        return CMiniFltPosix_set_malloc_thresholds(threshold, 4 * threshold) == 0
    }
}

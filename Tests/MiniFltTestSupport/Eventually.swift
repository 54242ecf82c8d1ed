// SPDX-License-Identifier: MIT
#if canImport(Glibc)
import Glibc
#endif

/// Polls `condition` every 10 ms until it holds or `timeout` passes; the tests' one way to wait for
/// something another thread or process does.
public func eventually(timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}

// SPDX-License-Identifier: MIT
import ArgumentParser
import MiniFltFilter

/// `--full-verdict`: what a watched open gets when `--max-opens-in-flight` opens already wait for a client
/// (the library's FilterRegistration.fullVerdict), answered at once, before anything is logged.
enum FullVerdict: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The default: the opener must not wait behind the whole queue, nor fail because others are waiting.
    case allow
    /// For a watcher that would rather fail an open than let it through unchecked.
    case deny

    var verdict: FilterVerdict { self == .allow ? .allow : .deny }
}

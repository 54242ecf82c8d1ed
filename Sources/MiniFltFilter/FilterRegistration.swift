// SPDX-License-Identifier: MIT

/// What a filter registers: the operations it sees, what it watches, its callbacks and its bounds. The
/// Windows original is FLT_REGISTRATION (its OperationRegistration array and callbacks), passed to
/// FltRegisterFilter.
public struct FilterRegistration: Sendable {
    /// The operations the filter sees (FLT_OPERATION_REGISTRATION). Permission operations (open, exec,
    /// read) go to ``preOperation``; ``FilterOperation/closeWrite`` goes to ``postOperation``.
    public var operations: Set<FilterOperation>
    /// What to watch.
    public var targets: [WatchTarget]
    /// How long each permission event may wait for the filter's answer, from its arrival.
    public var deadline: Duration = .seconds(5)
    /// The answer the library gives when the deadline passes: allow by default, as the Windows scanner
    /// sample and ClamAV's clamonacc do (a stuck service must not stop the machine).
    public var timeoutVerdict: FilterVerdict = .allow
    /// Permission events the filter may hold unanswered at once. Past it, an event is answered
    /// ``fullVerdict`` on arrival, before anything is logged or called.
    public var maxInFlight = 64
    /// The answer for an event that finds ``maxInFlight`` events already waiting: allow by default (the
    /// filter is overwhelmed; the opener must not wait behind the whole queue).
    public var fullVerdict: FilterVerdict = .allow
    /// Whether an allowed file is remembered until it changes (``DecisionCache``).
    public var cacheAllowed = true

    /// Called for each permission event, on the thread that reads events (the library's reader, or the caller's
    /// loop after ``MiniFilter/startWithoutReader()``): hand the event on and return at
    /// once (do not block here: every other event waits behind it). Answer later with
    /// ``MiniFilter/reply(to:_:)``, from any thread, in any order. The Windows original: a pre-operation
    /// callback returning FLT_PREOP_PENDING.
    public var preOperation: @Sendable (FileEvent) -> Void
    /// Called for each close-after-write notification, on the thread that reads events (do not block). The Windows
    /// original: IRP_MJ_CLEANUP's post-operation callback.
    public var postOperation: @Sendable (FileEvent) -> Void = { _ in }
    /// Called after the kernel got an answer the filter did not give (a timeout, a full bound), so that
    /// the filter can log it: the answer always comes first. On the thread that answered; do not block.
    public var answered: @Sendable (FileEvent, FilterVerdict, FilterAnswerReason) -> Void = { _, _, _ in }

    public init(
        operations: Set<FilterOperation>,
        targets: [WatchTarget],
        preOperation: @escaping @Sendable (FileEvent) -> Void
    ) {
        self.operations = operations
        self.targets = targets
        self.preOperation = preOperation
    }

    /// The fanotify event mask for the operations.
    var mask: UInt64 { operations.reduce(0) { $0 | $1.mask } }
}

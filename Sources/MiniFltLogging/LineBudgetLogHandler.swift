// SPDX-License-Identifier: MIT
public import Logging

/// Wraps a log handler so that entries at info and above pass only within a ``LineBudget``; entries of
/// the kinds in `exempt` (start, stop, summaries: a few per run or per interval by design) always pass.
/// The first entry to pass after others were left out is preceded by a warning that counts them.
public struct LineBudgetLogHandler: WrappingLogHandler {
    public var wrapped: any LogHandler
    public let budget: LineBudget
    /// The metadata key whose value names an entry's kind.
    public let eventKey: String
    /// Kinds that never count against the budget.
    public let exempt: Set<String>
    /// The kind of the warning that counts what was left out.
    public let noticeEvent: String

    public init(wrapped: any LogHandler, budget: LineBudget, eventKey: String, exempt: Set<String>, noticeEvent: String)
    {
        self.wrapped = wrapped
        self.budget = budget
        self.eventKey = eventKey
        self.exempt = exempt
        self.noticeEvent = noticeEvent
    }

    public func log(event: LogEvent) {
        guard event.level >= .info else { return wrapped.log(event: event) }
        let kind = event.metadata?[eventKey] ?? wrapped.metadata[eventKey]
        let name = kind.map { "\($0)" } ?? ""
        guard !exempt.contains(name) else { return wrapped.log(event: event) }
        let (pass, withheld) = budget.admit(event: name)
        guard pass else { return }
        if !withheld.isEmpty {
            let count = withheld.values.reduce(0, +)
            let kinds = withheld.sorted { $0.value > $1.value }
                .map { "\($0.value) \($0.key.isEmpty ? "other" : $0.key)" }.joined(separator: ", ")
            var notice = event
            notice.level = .warning
            notice.message =
                "left out \(count) log entries (\(kinds)) to stay within \(budget.burst) entries at once and \(budget.perSecond) a second; the next activity summary counts what they described"
            notice.metadata = [eventKey: "\(noticeEvent)", "withheld": "\(count)"]
            wrapped.log(event: notice)
        }
        wrapped.log(event: event)
    }
}

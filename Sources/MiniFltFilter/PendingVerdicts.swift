// SPDX-License-Identifier: MIT
import DequeModule

/// The life of each permission event, as a state machine without I/O: an event is admitted (pending) or
/// refused (the bound is full), then answered exactly once, by the filter, by its deadline, or by the
/// shutdown. Each transition returns what the caller must do; a second answer returns nothing, so it can
/// never reach the kernel, and since keys are never reused it can never reach another event.
package struct PendingVerdicts<Payload> {
    /// What the caller must do for an answered event: send `verdict` to the kernel for `payload`.
    package struct Answer {
        package let id: FileEventID
        package let payload: Payload
        package let verdict: FilterVerdict
        package let reason: FilterAnswerReason
    }

    package enum Admission: Equatable {
        /// The event waits; answer it by this key.
        case pending(FileEventID)
        /// The bound is full: answer the event at once.
        case full
    }

    private struct Entry {
        var payload: Payload
        var deadline: Int64
    }

    package let capacity: Int
    private var entries: [UInt64: Entry] = [:]
    /// Keys in arrival order; deadlines are arrival + one duration, so this is also deadline order. Keys
    /// answered early stay until they reach the front.
    private var order = Deque<UInt64>()
    private var nextKey: UInt64 = 1

    package init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Events waiting.
    package var count: Int { entries.count }

    /// Whether a new event would find the bound full.
    package var isFull: Bool { entries.count >= capacity }

    /// A new event arrives and must be answered by `deadline`; `payload` makes what is kept for it from its
    /// key (called only when it is admitted).
    package mutating func admit(deadline: Int64, _ payload: (FileEventID) -> Payload) -> Admission {
        guard entries.count < capacity else { return .full }
        let key = nextKey
        nextKey += 1
        entries[key] = Entry(payload: payload(FileEventID(rawValue: key)), deadline: deadline)
        order.append(key)
        return .pending(FileEventID(rawValue: key))
    }

    /// The filter answers: the answer to send, or nil when the event was already answered (late, twice,
    /// or never admitted).
    package mutating func answer(_ id: FileEventID, _ verdict: FilterVerdict) -> Answer? {
        guard let entry = entries.removeValue(forKey: id.rawValue) else { return nil }
        return Answer(id: id, payload: entry.payload, verdict: verdict, reason: .filter)
    }

    /// The events whose deadline passed at `now`, answered `verdict`.
    package mutating func expire(now: Int64, verdict: FilterVerdict) -> [Answer] {
        var answers: [Answer] = []
        while let key = order.first {
            guard let entry = entries[key] else {
                order.removeFirst()
                continue
            }
            guard entry.deadline <= now else { break }
            order.removeFirst()
            entries[key] = nil
            answers.append(
                Answer(id: FileEventID(rawValue: key), payload: entry.payload, verdict: verdict, reason: .timedOut)
            )
        }
        return answers
    }

    /// The earliest deadline of an event still waiting.
    package mutating func nextDeadline() -> Int64? {
        while let key = order.first {
            if let entry = entries[key] { return entry.deadline }
            order.removeFirst()
        }
        return nil
    }

    /// Shutdown: every waiting event, answered allow by the group's close (the caller sends nothing).
    package mutating func drain() -> [Answer] {
        let answers = order.compactMap { key in
            entries[key].map {
                Answer(id: FileEventID(rawValue: key), payload: $0.payload, verdict: .allow, reason: .stopping)
            }
        }
        entries.removeAll()
        order.removeAll()
        return answers
    }
}

// SPDX-License-Identifier: MIT
import MiniFltServer
import MiniFltWire
import Testing

/// The connection life cycle (docs/protocol.md section 10) as a table: no socket, thread, clock or sleep.
///
/// A ``LifeCycleDriver`` does with each action what ``Connection`` does with it (queue a routine, write a
/// frame, close, free the slot), and records what happened. Every order of the events that matter is driven
/// to its end, and each guarantee is a row checked against every one of those runs; named scenarios pin the
/// exact frames and routines of the common paths.
@Suite("Connection life cycle: the state machine, driven by a table")
struct ConnectionLifeCycleTests {
    // MARK: - Guarantees, each against every order of events

    @Test("a guarantee of docs/protocol.md section 10 holds in every order of events", arguments: Guarantee.allCases)
    func guarantee(_ guarantee: Guarantee) {
        for run in LifeCycleDriver.everyOrder {
            if let broken = guarantee.brokenBy(run.trace) {
                Issue.record("\(guarantee): \(broken) after \(run.steps) (connect routine \(run.outcome))")
                return
            }
        }
    }

    @Test("the table covers every order of the events that matter")
    func coverage() {
        let runs = LifeCycleDriver.everyOrder
        let kinds = Step.alphabet.count
        #expect(runs.count == 2 * kinds * kinds * kinds * kinds * kinds)
        // Each way a connection can end is reached.
        #expect(runs.contains { $0.trace.contains(.disconnectRoutineReturned) })
        #expect(runs.contains { $0.trace.contains(.connectRoutineRefused) && $0.trace.contains(.slotFreed) })
        #expect(runs.contains { $0.trace.contains(.slotFreed) && !$0.trace.contains(.connectRoutineStarted) })
        #expect(runs.contains { $0.trace.contains(.messageRoutineRan(1)) && $0.trace.contains(.messageRoutineRan(2)) })
    }

    // MARK: - Named scenarios: the exact frames and routines

    @Test("a scenario gives exactly these routines and frames", arguments: Scenario.all)
    func scenario(_ scenario: Scenario) {
        var driver = LifeCycleDriver(connectAccepts: scenario.connectAccepts)
        for step in scenario.steps { driver.apply(step) }
        #expect(driver.trace == scenario.expected, "\(scenario.name)")
    }

    // MARK: - Single events

    @Test(
        "the handshake deadline closes only a connection still waiting for CONNECT",
        arguments: [(before: false, connected: false), (true, false), (false, true)]
    )
    func handshakeDeadline(before: Bool, connected: Bool) {
        let accepted = MonotonicInstant(nanoseconds: 1_000)
        var machine = Machine(acceptedAt: accepted, handshakeTimeout: .seconds(10))
        if connected { _ = machine.connectDecoded(valid: true) }
        let now = accepted.advanced(by: before ? .seconds(9) : .seconds(10))
        let action = machine.handshakeDeadlinePassed(now: now)
        switch (before, connected) {
        case (true, _): #expect(action == .notYet(accepted.advanced(by: .seconds(10))))
        case (false, false):
            #expect(action == .close(logLimit: true))
            #expect(machine.socket == .closeRequested(CloseRequest(status: .ioTimeout, reason: "handshake timeout")))
        case (false, true): #expect(action == .none)
        }
    }

    @Test("a frame deadline closes once, logs its limit once, and waits for a frame that is not yet late")
    func frameDeadline() {
        let start = MonotonicInstant(nanoseconds: 0)
        var machine = Machine(acceptedAt: start, handshakeTimeout: .seconds(10))
        _ = machine.connectDecoded(valid: true)
        let since = start.advanced(by: .seconds(1))
        #expect(
            machine.frameDeadlinePassed(
                partialSince: since,
                now: since.advanced(by: .seconds(4)),
                frameTimeout: .seconds(5)
            )
                == .notYet(since.advanced(by: .seconds(5)))
        )
        #expect(
            machine.frameDeadlinePassed(
                partialSince: since,
                now: since.advanced(by: .seconds(5)),
                frameTimeout: .seconds(5)
            )
                == .close(logLimit: true)
        )
        #expect(
            machine.frameDeadlinePassed(
                partialSince: since,
                now: since.advanced(by: .seconds(6)),
                frameTimeout: .seconds(5)
            )
                == .none
        )
    }

    @Test("outstanding SENDs: a duplicate id is a violation, one over the limit is refused and logged once")
    func outstandingLimit() {
        var machine = Machine(acceptedAt: MonotonicInstant(nanoseconds: 0), handshakeTimeout: .seconds(10))
        _ = machine.connectDecoded(valid: true)
        _ = machine.connectRoutineStarting()
        _ = machine.connectRoutineReturned(.accept("cookie"))
        guard case .runMessageRoutine("cookie") = machine.messageDecoded(id: 1, send: 1, maximumOutstanding: 2) else {
            Issue.record("the first SEND was not queued")
            return
        }
        guard case .violation(.duplicateSendID(1)) = machine.messageDecoded(id: 1, send: 1, maximumOutstanding: 2)
        else {
            Issue.record("a duplicate id was taken")
            return
        }
        _ = machine.messageDecoded(id: 2, send: 2, maximumOutstanding: 2)
        guard case .overLimit(logLimit: true) = machine.messageDecoded(id: 3, send: 3, maximumOutstanding: 2),
            case .overLimit(logLimit: false) = machine.messageDecoded(id: 4, send: 4, maximumOutstanding: 2)
        else {
            Issue.record("the limit was not applied, or logged more than once")
            return
        }
        _ = machine.messageRoutineReturned(id: 1)
        guard case .runMessageRoutine = machine.messageDecoded(id: 1, send: 1, maximumOutstanding: 2) else {
            Issue.record("an answered id could not be used again")
            return
        }
    }

    @Test("the first reason to close wins; later requests change nothing")
    func firstCloseWins() {
        var machine = Machine(acceptedAt: MonotonicInstant(nanoseconds: 0), handshakeTimeout: .seconds(10))
        let first = CloseRequest(status: .portDisconnected, reason: "the server closed the client port")
        let firstTaken = machine.closeRequested(first)
        let secondTaken = machine.closeRequested(CloseRequest(status: nil, reason: "output queue full"))
        #expect(firstTaken && !secondTaken)
        #expect(!machine.acceptsOutput)
        let tearDown = machine.socketClosing(
            cause: CloseRequest(status: nil, reason: "the client closed the connection")
        )
        #expect(tearDown?.disconnectStatus == .portDisconnected)
        #expect(tearDown?.reason == first.reason)
        #expect(machine.socketClosing(cause: first) == nil)
    }
}

typealias Machine = ConnectionLifeCycle<MonotonicInstant, String, UInt64>

/// An event the connection's threads feed the machine.
enum Step: Hashable, Sendable, CustomStringConvertible {
    /// The reading thread decoded a valid CONNECT.
    case connect
    /// The reading thread decoded a CONNECT with a version this port does not speak.
    case badConnect
    /// The reading thread decoded SEND with this id.
    case send(UInt64)
    /// The routine runner takes the next step: starts the next queued routine, or ends the connect routine
    /// it started (a message or disconnect routine starts and ends in one step).
    case runRoutine
    /// The client closed its end (or a read failed): the reading thread tears down.
    case peerCloses
    /// ClientPort.close, the port shutting down, a full output queue: a close request from another thread.
    case closeRequested
    /// The reading thread looks after a close request's shutdown(SHUT_RD) and tears down.
    case readerLooks
    /// The timer finds the handshake deadline passed.
    case handshakeDeadline
    /// The timer finds a partial frame late.
    case frameDeadline

    /// The events whose every order is driven.
    static let alphabet: [Step] = [
        .connect, .send(1), .send(2), .runRoutine, .peerCloses, .closeRequested, .readerLooks, .handshakeDeadline,
        .frameDeadline, .badConnect,
    ]

    var description: String {
        switch self {
        case .connect: "CONNECT"
        case .badConnect: "bad CONNECT"
        case .send(let id): "SEND \(id)"
        case .runRoutine: "run routine"
        case .peerCloses: "peer closes"
        case .closeRequested: "close requested"
        case .readerLooks: "reader looks"
        case .handshakeDeadline: "handshake deadline"
        case .frameDeadline: "frame deadline"
        }
    }
}

/// What a connection did, in order: routines, frames written, slot.
enum Happening: Hashable, Sendable {
    case connectRoutineStarted
    case connectRoutineAccepted
    case connectRoutineRefused
    case messageRoutineRan(UInt64)
    case disconnectRoutineStarted
    case disconnectRoutineReturned
    case wrote(Frame)
    case closedSocket
    case slotFreed
}

/// Does with each action what ``Connection`` does, and records it.
struct LifeCycleDriver {
    enum Work {
        case connect
        case message(id: UInt64, cookie: String)
        case disconnect(cookie: String)
    }

    static let handshakeTimeout = Duration.seconds(10)
    static let frameTimeout = Duration.seconds(5)
    static let accepted = MonotonicInstant(nanoseconds: 0)

    var machine = Machine(acceptedAt: accepted, handshakeTimeout: handshakeTimeout)
    let connectAccepts: Bool
    /// The runner's queue: routines run in the order they were queued.
    var queue: [Work] = []
    /// The reading thread closed the socket (it reads no more).
    var readerClosed = false
    /// The connect routine started and has not returned.
    var connectRunning = false
    var trace: [Happening] = []

    init(connectAccepts: Bool) {
        self.connectAccepts = connectAccepts
    }

    mutating func apply(_ step: Step) {
        switch step {
        case .connect, .badConnect:
            guard !readerClosed else { return }
            switch machine.connectDecoded(valid: step == .connect) {
            case .runConnectRoutine: queue.append(.connect)
            case .refuseInvalid:
                write(.connectResult(.invalidParameter))
                tearDown(CloseRequest(status: nil, reason: "refused CONNECT"))
            case .close(let request): tearDown(request)
            case .violation: tearDown(CloseRequest(status: .invalidParameter, reason: "violation"))
            }
        case .send(let id):
            guard !readerClosed else { return }
            switch machine.messageDecoded(id: id, send: id, maximumOutstanding: 8) {
            case .runMessageRoutine(let cookie): queue.append(.message(id: id, cookie: cookie))
            case .deferred, .ignored: break
            case .overLimit: write(.sendResult(id: id, status: .insufficientResources, output: []))
            case .close(let request): tearDown(request)
            case .violation: tearDown(CloseRequest(status: .invalidParameter, reason: "violation"))
            }
        case .runRoutine:
            if connectRunning {
                connectRunning = false
                returnFromConnect()
                return
            }
            guard !queue.isEmpty else { return }
            run(queue.removeFirst())
        case .peerCloses:
            guard !readerClosed else { return }
            tearDown(CloseRequest(status: nil, reason: "the client closed the connection"))
        case .closeRequested:
            _ = machine.closeRequested(CloseRequest(status: .portDisconnected, reason: "closed by the server"))
        case .readerLooks:
            guard !readerClosed, case .closeRequested = machine.socket else { return }
            tearDown(CloseRequest(status: nil, reason: "the client closed the connection"))
        case .handshakeDeadline:
            _ = machine.handshakeDeadlinePassed(
                now: LifeCycleDriver.accepted.advanced(by: LifeCycleDriver.handshakeTimeout)
            )
        case .frameDeadline:
            _ = machine.frameDeadlinePassed(
                partialSince: LifeCycleDriver.accepted,
                now: LifeCycleDriver.accepted.advanced(by: .seconds(60)),
                frameTimeout: LifeCycleDriver.frameTimeout
            )
        }
    }

    /// After the steps: the reader acts on a pending request, the client leaves, and every queued routine runs.
    mutating func settle() {
        apply(.readerLooks)
        apply(.peerCloses)
        while !queue.isEmpty || connectRunning { apply(.runRoutine) }
    }

    private mutating func write(_ frame: Frame) {
        // Connection writes only while no close was asked for; DISCONNECT goes out as the socket closes.
        guard machine.acceptsOutput else { return }
        trace.append(.wrote(frame))
    }

    private mutating func tearDown(_ cause: CloseRequest) {
        guard let tearDown = machine.socketClosing(cause: cause) else { return }
        if let status = tearDown.disconnectStatus { trace.append(.wrote(.disconnect(status))) }
        trace.append(.closedSocket)
        readerClosed = true
        switch tearDown.then {
        case .freeSlot: trace.append(.slotFreed)
        case .runDisconnectRoutine(let cookie): queue.append(.disconnect(cookie: cookie))
        case .waitForRoutines: break
        }
    }

    private mutating func run(_ work: Work) {
        switch work {
        case .connect:
            guard machine.connectRoutineStarting() == .run else {
                trace.append(.slotFreed)
                return
            }
            trace.append(.connectRoutineStarted)
            connectRunning = true
        case .message(let id, let cookie):
            precondition(cookie == "cookie")
            trace.append(.messageRoutineRan(id))
            write(.sendResult(id: id, status: .success, output: []))
            if case .runDisconnectRoutine(let cookie) = machine.messageRoutineReturned(id: id) { runDisconnect(cookie) }
        case .disconnect(let cookie): runDisconnect(cookie)
        }
    }

    private mutating func returnFromConnect() {
        let result: ConnectResult<String> = connectAccepts ? .accept("cookie") : .refuse(.accessDenied)
        trace.append(connectAccepts ? .connectRoutineAccepted : .connectRoutineRefused)
        switch machine.connectRoutineReturned(result) {
        case .accepted(_, let deferred):
            write(.connectResult(.success))
            for send in deferred { queue.append(.message(id: send.id, cookie: "cookie")) }
        case .runDisconnectRoutine(let cookie): runDisconnect(cookie)
        case .refused(let status):
            write(.connectResult(status))
            _ = machine.closeRequested(CloseRequest(status: nil, reason: "the connect routine refused the client"))
        case .freeSlot: trace.append(.slotFreed)
        }
    }

    private mutating func runDisconnect(_ cookie: String) {
        precondition(cookie == "cookie")
        trace.append(.disconnectRoutineStarted)
        machine.disconnectRoutineReturned()
        trace.append(.disconnectRoutineReturned)
        trace.append(.slotFreed)
    }

    struct Run {
        var steps: [Step]
        var outcome: String
        var trace: [Happening]
    }

    /// Every sequence of five events from ``Step/alphabet``, with a connect routine that accepts and one that
    /// refuses, each settled.
    static let everyOrder: [Run] = {
        var runs: [Run] = []
        let alphabet = Step.alphabet
        for accepts in [true, false] {
            for a in alphabet {
                for b in alphabet {
                    for c in alphabet {
                        for d in alphabet {
                            for e in alphabet {
                                var driver = LifeCycleDriver(connectAccepts: accepts)
                                let steps = [a, b, c, d, e]
                                for step in steps { driver.apply(step) }
                                driver.settle()
                                runs.append(
                                    Run(steps: steps, outcome: accepts ? "accepts" : "refuses", trace: driver.trace)
                                )
                            }
                        }
                    }
                }
            }
        }
        return runs
    }()
}

/// One promise of docs/protocol.md section 10 (and sections 3 to 6), checked on what a connection did.
enum Guarantee: String, CaseIterable, Sendable, CustomStringConvertible {
    case connectBeforeMessages = "the connect routine returned (accepting) before any message routine"
    case oneDisconnectPerAcceptedConnect = "exactly one disconnect routine per connect routine that accepted"
    case noDisconnectWithoutConnect = "no disconnect routine without a connect routine that accepted"
    case noMessageAfterDisconnectBegan = "no message routine after the disconnect routine began"
    case noMessageAfterRefusal = "no message routine after a refused connect"
    case slotFreedOnceAtTheEnd = "the slot is freed exactly once, as the last thing"
    case slotFreedAfterDisconnectReturned = "the slot is freed only after the disconnect routine returned"
    case nothingWrittenAfterClose = "no frame is written after the socket closed or DISCONNECT went out"
    case oneConnectResult = "at most one CONNECT_RESULT, and SEND_RESULT only after a successful one"
    case eachSendAnsweredOnce = "each SEND id is answered at most once per routine run"

    var description: String { rawValue }

    /// What is wrong in `trace`, or nil when the guarantee holds.
    func brokenBy(_ trace: [Happening]) -> String? {
        func index(_ happening: Happening) -> Int? { trace.firstIndex(of: happening) }
        func count(_ happening: Happening) -> Int { trace.filter { $0 == happening }.count }
        let messages = trace.indices.filter { if case .messageRoutineRan = trace[$0] { true } else { false } }
        switch self {
        case .connectBeforeMessages:
            guard let first = messages.first else { return nil }
            guard let accepted = index(.connectRoutineAccepted), accepted < first else {
                return "a message routine ran before the connect routine accepted"
            }
        case .oneDisconnectPerAcceptedConnect:
            if trace.contains(.connectRoutineAccepted), count(.disconnectRoutineStarted) != 1 {
                return "\(count(.disconnectRoutineStarted)) disconnect routines"
            }
        case .noDisconnectWithoutConnect:
            if !trace.contains(.connectRoutineAccepted), trace.contains(.disconnectRoutineStarted) {
                return "a disconnect routine without an accepted connect"
            }
        case .noMessageAfterDisconnectBegan:
            if let began = index(.disconnectRoutineStarted), let last = messages.last, last > began {
                return "a message routine after the disconnect routine began"
            }
        case .noMessageAfterRefusal:
            if trace.contains(.connectRoutineRefused), !messages.isEmpty { return "a message routine after a refusal" }
        case .slotFreedOnceAtTheEnd:
            if count(.slotFreed) != 1 { return "the slot was freed \(count(.slotFreed)) times" }
            if trace.last != .slotFreed { return "something happened after the slot was freed: \(trace)" }
        case .slotFreedAfterDisconnectReturned:
            if let started = index(.disconnectRoutineStarted) {
                guard let returned = index(.disconnectRoutineReturned), returned > started,
                    let freed = index(.slotFreed), freed > returned
                else { return "the slot was freed before the disconnect routine returned" }
            }
            if let started = index(.connectRoutineStarted), let freed = index(.slotFreed), freed < started {
                return "the slot was freed before the connect routine ran"
            }
        case .nothingWrittenAfterClose:
            if let closed = index(.closedSocket), trace[(closed + 1)...].contains(where: \.isWrite) {
                return "a frame written after the socket closed: \(trace)"
            }
            if trace.filter({ if case .wrote(.disconnect) = $0 { true } else { false } }).count > 1 {
                return "two DISCONNECTs"
            }
        case .oneConnectResult:
            let results = trace.indices.filter { if case .wrote(.connectResult) = trace[$0] { true } else { false } }
            if results.count > 1 { return "\(results.count) CONNECT_RESULTs" }
            let sendResults = trace.indices.filter {
                if case .wrote(.sendResult(_, .success, _)) = trace[$0] { true } else { false }
            }
            if let first = sendResults.first,
                !(results.first.map { $0 < first && trace[$0] == .wrote(.connectResult(.success)) } ?? false)
            {
                return "a SEND_RESULT before CONNECT_RESULT(STATUS_SUCCESS)"
            }
        case .eachSendAnsweredOnce:
            for id in [UInt64(1), 2] {
                let answers = trace.filter { if case .wrote(.sendResult(id, _, _)) = $0 { true } else { false } }.count
                if answers > count(.messageRoutineRan(id)) + 1 { return "SEND \(id) answered \(answers) times" }
            }
        }
        return nil
    }
}

extension Happening {
    var isWrite: Bool {
        if case .wrote = self { return true }
        return false
    }
}

/// A named order of events and exactly what it must do.
struct Scenario: Sendable, CustomStringConvertible {
    var name: String
    var connectAccepts = true
    var steps: [Step]
    var expected: [Happening]

    var description: String { name }

    static let all: [Scenario] = [
        Scenario(
            name: "hello: CONNECT, SEND, the client leaves",
            steps: [.connect, .runRoutine, .runRoutine, .send(1), .runRoutine, .peerCloses, .runRoutine],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)),
                .messageRoutineRan(1), .wrote(.sendResult(id: 1, status: .success, output: [])), .closedSocket,
                .disconnectRoutineStarted, .disconnectRoutineReturned, .slotFreed,
            ]
        ),
        Scenario(
            name: "SENDs that come while the connect routine runs wait for it, in order",
            steps: [.connect, .send(2), .runRoutine, .send(1), .runRoutine, .runRoutine, .runRoutine],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)),
                .messageRoutineRan(2), .wrote(.sendResult(id: 2, status: .success, output: [])),
                .messageRoutineRan(1), .wrote(.sendResult(id: 1, status: .success, output: [])),
            ]
        ),
        Scenario(
            name: "the client leaves while its connect routine is queued: no routine at all",
            steps: [.connect, .peerCloses, .runRoutine],
            expected: [.closedSocket, .slotFreed]
        ),
        Scenario(
            name: "the client leaves while its connect routine runs: the disconnect routine follows it",
            steps: [.connect, .send(1), .runRoutine, .peerCloses, .runRoutine],
            expected: [
                .connectRoutineStarted, .closedSocket, .connectRoutineAccepted, .disconnectRoutineStarted,
                .disconnectRoutineReturned, .slotFreed,
            ]
        ),
        Scenario(
            name: "the client leaves with messages queued: they run, then the disconnect routine",
            steps: [
                .connect, .runRoutine, .runRoutine, .send(1), .send(2), .peerCloses, .runRoutine, .runRoutine,
                .runRoutine,
            ],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)), .closedSocket,
                .messageRoutineRan(1), .messageRoutineRan(2), .disconnectRoutineStarted, .disconnectRoutineReturned,
                .slotFreed,
            ]
        ),
        Scenario(
            name: "a refusing connect routine: CONNECT_RESULT with its status, a close, no disconnect routine",
            connectAccepts: false,
            steps: [.connect, .send(1), .runRoutine, .runRoutine, .readerLooks],
            expected: [
                .connectRoutineStarted, .connectRoutineRefused, .wrote(.connectResult(.accessDenied)), .closedSocket,
                .slotFreed,
            ]
        ),
        Scenario(
            name: "a bad CONNECT: STATUS_INVALID_PARAMETER, a close, no routine",
            steps: [.badConnect, .send(1)],
            expected: [.wrote(.connectResult(.invalidParameter)), .closedSocket, .slotFreed]
        ),
        Scenario(
            name: "SEND before CONNECT: DISCONNECT(STATUS_INVALID_PARAMETER)",
            steps: [.send(1), .connect],
            expected: [.wrote(.disconnect(.invalidParameter)), .closedSocket, .slotFreed]
        ),
        Scenario(
            name: "the handshake deadline: DISCONNECT(STATUS_IO_TIMEOUT); a CONNECT after it is not run",
            steps: [.handshakeDeadline, .connect],
            expected: [.wrote(.disconnect(.ioTimeout)), .closedSocket, .slotFreed]
        ),
        Scenario(
            name: "a CONNECT before the handshake deadline wins over it",
            steps: [.connect, .handshakeDeadline, .runRoutine, .runRoutine, .readerLooks],
            expected: [.connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success))]
        ),
        Scenario(
            name: "ClientPort.close: DISCONNECT(STATUS_PORT_DISCONNECTED), then the disconnect routine",
            steps: [.connect, .runRoutine, .runRoutine, .closeRequested, .send(1), .runRoutine],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)),
                .wrote(.disconnect(.portDisconnected)), .closedSocket, .disconnectRoutineStarted,
                .disconnectRoutineReturned, .slotFreed,
            ]
        ),
        Scenario(
            name: "a close asked for while a message routine runs: no SEND_RESULT, the disconnect routine after it",
            steps: [.connect, .runRoutine, .runRoutine, .send(1), .closeRequested, .readerLooks, .runRoutine],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)),
                .wrote(.disconnect(.portDisconnected)), .closedSocket, .messageRoutineRan(1),
                .disconnectRoutineStarted, .disconnectRoutineReturned, .slotFreed,
            ]
        ),
        Scenario(
            name: "a frame deadline: DISCONNECT(STATUS_IO_TIMEOUT), then the disconnect routine",
            steps: [.connect, .runRoutine, .runRoutine, .frameDeadline, .readerLooks, .runRoutine],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)),
                .wrote(.disconnect(.ioTimeout)), .closedSocket, .disconnectRoutineStarted,
                .disconnectRoutineReturned, .slotFreed,
            ]
        ),
        Scenario(
            name: "a second CONNECT is a violation",
            steps: [.connect, .runRoutine, .runRoutine, .connect, .runRoutine],
            expected: [
                .connectRoutineStarted, .connectRoutineAccepted, .wrote(.connectResult(.success)),
                .wrote(.disconnect(.invalidParameter)), .closedSocket, .disconnectRoutineStarted,
                .disconnectRoutineReturned, .slotFreed,
            ]
        ),
    ]
}

// SPDX-License-Identifier: MIT
import MiniFltClient
import MiniFltWire
import Testing

/// WaitingCalls, the client's rules for who reads and whom a frame wakes, as a state machine: no socket, no
/// thread, each step as the port's lock would see it.
@Suite("WaitingCalls: the reader role and whom each frame wakes")
struct WaitingCallsTests {
    typealias GetWaiter = Waiter<Result<FilterMessage, FilterPortError>>

    static func message(_ id: UInt64, bytes: Int = 4) -> FilterMessage {
        FilterMessage(messageID: id, replyLength: 4, bytes: [UInt8](repeating: UInt8(id), count: bytes))
    }

    @Test("the role goes, still held, to the longest sleeper, one at a time, and is let go when nobody sleeps")
    func roleHandOff() {
        var calls = WaitingCalls()
        var wakes = WaitingCalls.Wakes()
        let (first, second, third) = (Sleeper(), Sleeper(), Sleeper())
        #expect(calls.proceed(first) == .read)
        #expect(calls.proceed(second) == .sleep)
        #expect(calls.proceed(third) == .sleep)
        #expect(calls.proceed(first) == .read)  // it keeps reading while it waits

        calls.leave(first, &wakes)
        #expect(wakes.sleepers.map(ObjectIdentifier.init) == [ObjectIdentifier(second)])
        #expect(second.holdsReaderRole && !second.asleep)
        #expect(third.asleep && !third.holdsReaderRole)
        // A thread that comes now sleeps: the role is held for the one woken to take it.
        let late = Sleeper()
        #expect(calls.proceed(late) == .sleep)
        #expect(calls.proceed(second) == .read)

        wakes = WaitingCalls.Wakes()
        calls.leave(second, &wakes)
        #expect(wakes.sleepers.map(ObjectIdentifier.init) == [ObjectIdentifier(third)])
        calls.leave(third, &wakes)
        calls.leave(late, &wakes)
        #expect(calls.sleepers.isEmpty && !late.holdsReaderRole)
        // Nobody slept when `late` left: the role is free, and the next comer reads at once.
        #expect(calls.proceed(Sleeper()) == .read)
    }

    @Test("a frame wakes the call it is for and no other; a call that is awake is not woken")
    func wakesOnlyItsCall() {
        var calls = WaitingCalls()
        var wakes = WaitingCalls.Wakes()
        let reader = Sleeper()
        #expect(calls.proceed(reader) == .read)
        let (sender, replier, getter) = (Waiter<WaitingCalls.SendOutcome>(), Waiter<NTStatus>(), GetWaiter())
        calls.sends[1] = sender
        calls.replies[7] = replier
        calls.add(.thread(getter, bufferSize: 64), &wakes)
        for sleeper in [sender, replier, getter] as [Sleeper] { #expect(calls.proceed(sleeper) == .sleep) }

        calls.file(replyResult: .success, id: 7, &wakes)
        #expect(wakes.sleepers.map(ObjectIdentifier.init) == [ObjectIdentifier(replier)])
        #expect(replier.value == .success && !replier.asleep)
        #expect(sender.asleep && getter.asleep)

        wakes = WaitingCalls.Wakes()
        calls.file(message: Self.message(9), &wakes)
        #expect(wakes.sleepers.map(ObjectIdentifier.init) == [ObjectIdentifier(getter)])
        #expect((try? getter.value?.get())?.messageID == 9)

        // A result for a call that is awake (here: not asleep yet) is kept for it, and nobody is woken.
        wakes = WaitingCalls.Wakes()
        let awake = Waiter<WaitingCalls.SendOutcome>()
        calls.sends[2] = awake
        calls.file(sendResult: (.success, [1], .success(nil)), id: 2, &wakes)
        #expect(wakes.sleepers.isEmpty && awake.value?.1 == [1])
        // A result nobody waits for is dropped.
        calls.file(sendResult: (.success, [], .success(nil)), id: 99, &wakes)
        #expect(wakes.sleepers.isEmpty && sender.asleep)
    }

    @Test("messages go to the get calls that waited longest; a buffer too small passes the message on")
    func messagesInOrder() {
        var calls = WaitingCalls()
        var wakes = WaitingCalls.Wakes()
        let (small, large, next) = (GetWaiter(), GetWaiter(), GetWaiter())
        calls.add(.thread(small, bufferSize: 16 + 99), &wakes)
        calls.add(.thread(large, bufferSize: 16 + 100), &wakes)
        calls.add(.thread(next, bufferSize: 4096), &wakes)

        calls.file(message: Self.message(1, bytes: 100), &wakes)
        #expect(throws: FilterPortError.self) { try small.value?.get() }
        if case .failure(let error)? = small.value { #expect(error.hresult == .insufficientBuffer) }
        #expect((try? large.value?.get())?.messageID == 1)
        #expect(next.value == nil)
        #expect(calls.gets.count == 1 && calls.messages.isEmpty)

        calls.file(message: Self.message(2), &wakes)
        calls.file(message: Self.message(3), &wakes)
        #expect((try? next.value?.get())?.messageID == 2)
        // With no call waiting the message is queued, and the next call takes it at once.
        #expect(calls.messages.map(\.messageID) == [3])
        let late = GetWaiter()
        calls.add(.thread(late, bufferSize: 64), &wakes)
        #expect((try? late.value?.get())?.messageID == 3)
        #expect(calls.gets.isEmpty && calls.messages.isEmpty)
    }

    @Test("a failed connection wakes every sleeper and ends every get with the failure")
    func failureWakesAll() {
        var calls = WaitingCalls()
        var wakes = WaitingCalls.Wakes()
        let reader = Sleeper()
        #expect(calls.proceed(reader) == .read)
        let getter = GetWaiter()
        let sender = Waiter<WaitingCalls.SendOutcome>()
        calls.add(.thread(getter, bufferSize: 64), &wakes)
        calls.sends[1] = sender
        #expect(calls.proceed(getter) == .sleep)
        #expect(calls.proceed(sender) == .sleep)

        calls.fail(FilterPortError(.invalidHandle, "closed"), &wakes)
        #expect(Set(wakes.sleepers.map(ObjectIdentifier.init)) == [ObjectIdentifier(getter), ObjectIdentifier(sender)])
        #expect(!getter.asleep && !sender.asleep && calls.sleepers.isEmpty)
        #expect(calls.gets.isEmpty && calls.sends.isEmpty)
        #expect(calls.failure?.hresult == .invalidHandle)
        // The reader lets the role go without handing it on: everyone fails anyway.
        wakes = WaitingCalls.Wakes()
        calls.leave(reader, &wakes)
        #expect(wakes.sleepers.isEmpty)
        // A get added later ends at once.
        let later = GetWaiter()
        calls.add(.thread(later, bufferSize: 64), &wakes)
        #expect(throws: FilterPortError.self) { try later.value?.get() }
    }
}

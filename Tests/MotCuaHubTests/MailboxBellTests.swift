import MotCuaTestSupport
import Synchronization
import Testing

@testable import MotCuaHub

/// A destination's long poll waits on the hub's clock: it ends when mail for it is admitted, or when that
/// clock passes its wait, never on the real clock behind a test's back.
@Suite("Mailbox long polls", .timeLimit(.minutes(1)))
struct MailboxBellTests {
    @Test func aLongPollEndsOnMailOrWhenItsClockRunsOut() async throws {
        let clock = ManualClock()
        let bell = MailboxBell(clock: clock)
        let ended = Mutex(false)
        let poll = Task {
            await bell.wait("p02", seen: bell.generation("p02"), timeout: .seconds(10))
            ended.withLock { $0 = true }
        }
        await clock.waitForSleepers()
        bell.ring("p03")
        try await Task.sleep(for: .milliseconds(100))
        #expect(!ended.withLock { $0 }, "another node's mail or the real clock ended the poll")
        clock.advance(by: .seconds(10))
        await poll.value

        let seen = bell.generation("p02")
        let woken = Task { await bell.wait("p02", seen: seen, timeout: .seconds(10)) }
        await clock.waitForSleepers()
        bell.ring("p02")
        await woken.value
        // Mail that came between reading the generation and waiting is not missed.
        let stale = bell.generation("p02") - 1
        await bell.wait("p02", seen: stale, timeout: .seconds(3600))
    }
}
